import type { ArgInput } from './args.js';
import { CommandContext } from './context.js';
import type { AnyPlugin, PluginApis, PluginContext } from './plugin.js';
import type { Reply } from './reply.js';
import type { DedicatedOptions, Transport } from './transport.js';

export interface FerriteOptions<Plugins extends readonly AnyPlugin[]> {
  readonly transport: Transport;
  readonly plugins?: Plugins;
}

/** What every client has, whatever plugins it was given. */
export interface FerriteBase<Plugins extends readonly AnyPlugin[]> extends AsyncDisposable {
  readonly transport: Transport;
  /** Sends any command as is: `ferrite.send('HSET', 'user:1', 'name', 'Ada')`. Strings in the reply are UTF-8 text. */
  send(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** As `send`, but every string of the reply is a `Buffer`: use it for binary values (`GET` of an image, `VECTOR.GET`). */
  sendBuffer(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** Whether the server implements a command (asked once with `COMMAND INFO`, then remembered). */
  supports(command: string): Promise<boolean>;
  /** A new client with one more plugin, over the same transport. */
  extend<P extends AnyPlugin>(plugin: P): FerriteClient<readonly [...Plugins, P]>;
  /** Runs the plugins' cleanups, then closes the transport. Safe to call twice. */
  close(): Promise<void>;
}

export type FerriteClient<Plugins extends readonly AnyPlugin[] = readonly []> = FerriteBase<Plugins> &
  PluginApis<Plugins>;

const RESERVED = new Set(['transport', 'send', 'sendBuffer', 'supports', 'extend', 'close', 'then']);

/**
 * Composes a client from a transport and plugins. The client's type has exactly the namespaces
 * of the plugins given.
 *
 * ```ts
 * const ferrite = createFerrite({ transport: ioredisTransport(redis), plugins: [vector(), semantic()] });
 * await ferrite.vector.search('docs', query, { topK: 5 });
 * ```
 */
export function createFerrite<const Plugins extends readonly AnyPlugin[] = readonly []>(
  options: FerriteOptions<Plugins>,
): FerriteClient<Plugins> {
  return compose(options.transport, options.plugins ?? ([] as unknown as Plugins), new Map());
}

function compose<Plugins extends readonly AnyPlugin[]>(
  transport: Transport,
  plugins: Plugins,
  capabilities: Map<string, Promise<boolean>>,
): FerriteClient<Plugins> {
  const cleanups: Array<() => void | Promise<void>> = [];
  let closing: Promise<void> | undefined;

  // One context per plugin, so tracing can say which plugin issued a command.
  const contextFor = (plugin: string | null): PluginContext => {
    const context = new CommandContext(transport, capabilities, plugin);
    return {
      transport,
      call: (command, ...args) => context.call(command, ...args),
      batch: (commands) => context.batch(commands),
      send: (name, ...args) => context.send(name, ...args),
      sendBuffer: (name, ...args) => context.sendBuffer(name, ...args),
      supports: (command) => context.supports(command),
      dedicated: (dedicatedOptions?: DedicatedOptions) => context.dedicated(dedicatedOptions),
      onClose: (cleanup) => void cleanups.push(cleanup),
    };
  };
  const pluginContext = contextFor(null);

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // A cleanup that throws synchronously must not stop the others or the transport's close.
      const results = await Promise.allSettled(cleanups.reverse().map(async (cleanup) => cleanup()));
      await transport.close();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return closing;
  };

  const client: Record<string, unknown> = {
    transport,
    send: pluginContext.send,
    sendBuffer: pluginContext.sendBuffer,
    supports: pluginContext.supports,
    extend: (plugin: AnyPlugin) => compose(transport, [...plugins, plugin], capabilities),
    close,
    [Symbol.asyncDispose]: close,
  };

  for (const plugin of plugins) {
    if (RESERVED.has(plugin.name)) throw new TypeError(`a plugin cannot be named "${plugin.name}"`);
    if (Object.hasOwn(client, plugin.name)) throw new TypeError(`two plugins are named "${plugin.name}"`);
    client[plugin.name] = plugin.setup(contextFor(plugin.name));
  }
  return Object.freeze(client) as unknown as FerriteClient<Plugins>;
}
