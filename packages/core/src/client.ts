import type { ArgInput } from './args.js';
import { assertTimeout, currentScope, mergeScopes, runInScope, toScope, type CallOptions, type CallScope } from './call-options.js';
import { createContext } from './context.js';
import { FerriteValidationError } from './errors.js';
import { ClientFamily } from './family.js';
import type { AnyPlugin, PluginApis } from './plugin.js';
import type { Reply } from './reply.js';
import { Scoper } from './scoped-proxy.js';
import type { Transport } from './transport.js';

/** The client-wide deadline when none is given: no call waits longer than this for its reply. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Attempts of a retryable command when none is given, the first included. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** What `createFerrite` needs: a transport, and the plugins whose namespaces the client gets. */
export interface FerriteOptions<Plugins extends readonly AnyPlugin[]> {
  readonly transport: Transport;
  readonly plugins?: Plugins;
  /**
   * Deadline of every call in milliseconds (send, sendBuffer, every plugin method), covering every
   * attempt, the waits between them and a reply still on its way; then the call rejects with
   * `FerriteTimeoutError`. A command with `BLOCK <ms>` gets `ms` more (`BLOCK 0`: no deadline).
   * Default 10000; `Infinity` disables it.
   */
  readonly timeout?: number;
  /**
   * Attempts of a command whose definition is `retryable`, the first included, after connection
   * failures (with backoff, within the deadline). Default 3; `1` never retries. Other commands,
   * and everything sent with `send`, are sent at most once.
   */
  readonly maxAttempts?: number;
}

/** What every client has, whatever plugins it was given. */
export interface FerriteBase<Plugins extends readonly AnyPlugin[]> extends AsyncDisposable {
  readonly transport: Transport;
  /** Sends any command as is: `ferrite.send('HSET', 'user:1', 'name', 'Ada')`. Strings in the reply are UTF-8 text. Never retried. */
  send(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** As `send`, but every string of the reply is a `Buffer`: use it for binary values (`GET` of an image, `VECTOR.GET`). */
  sendBuffer(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** Whether the server implements a command (asked once with `COMMAND INFO`, then remembered). */
  supports(command: string): Promise<boolean>;
  /**
   * A client with one more plugin, over the same transport, sharing the existing plugins'
   * instances and one lifecycle: closing any client of the family closes them all.
   */
  extend<P extends AnyPlugin>(plugin: P): FerriteClient<readonly [...Plugins, P]>;
  /**
   * A view of this client (same plugins, state and transport) whose every call uses these
   * options: `ferrite.withOptions({ signal }).vector.search(...)`. Handles and iterators a plugin
   * method returns keep them. Views compose: the innermost timeout wins; every signal applies.
   */
  withOptions(options: CallOptions): FerriteClient<Plugins>;
  /**
   * Runs the plugins' cleanups, then closes the transport, then rejects calls still pending with
   * `FerriteConnectionError`. Settles within a second whatever the server does. Closes every
   * client of the family (`extend`, `withOptions`). Safe to call twice.
   */
  close(): Promise<void>;
}

/** A client: the base methods plus one namespace per plugin (`ferrite.vector`), typed from the plugins given. */
export type FerriteClient<Plugins extends readonly AnyPlugin[] = readonly []> = FerriteBase<Plugins> &
  PluginApis<Plugins>;

const RESERVED = new Set(['transport', 'send', 'sendBuffer', 'supports', 'extend', 'withOptions', 'close', 'then']);

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
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  assertTimeout(timeout, 'timeout');
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new FerriteValidationError('maxAttempts', `expected an integer of at least 1, got ${String(maxAttempts)}`);
  }
  const family = new ClientFamily(options.transport, timeout, maxAttempts);
  return compose(family, options.plugins ?? ([] as unknown as Plugins));
}

function compose<Plugins extends readonly AnyPlugin[]>(family: ClientFamily, plugins: Plugins): FerriteClient<Plugins> {
  const context = createContext(family.transport, family);
  const close = (): Promise<void> => family.close();

  const client: Record<string | symbol, unknown> = {
    transport: family.transport,
    send: context.send,
    sendBuffer: context.sendBuffer,
    supports: context.supports,
    extend: (plugin: AnyPlugin) => compose(family, [...plugins, plugin]),
    withOptions: (callOptions: CallOptions) => view(client, plugins, toScope(callOptions)),
    close,
    [Symbol.asyncDispose]: close,
  };

  for (const plugin of plugins) {
    if (RESERVED.has(plugin.name)) throw new TypeError(`a plugin cannot be named "${plugin.name}"`);
    if (Object.hasOwn(client, plugin.name)) throw new TypeError(`two plugins are named "${plugin.name}"`);
    client[plugin.name] = null;
  }
  for (const plugin of plugins) {
    // Each plugin gets a context of its own, so tracing can say which plugin issued a command.
    if (!family.instances.has(plugin)) family.instances.set(plugin, plugin.setup(createContext(family.transport, family, undefined, undefined, plugin.name)));
    client[plugin.name] = family.instances.get(plugin);
  }
  return Object.freeze(client) as unknown as FerriteClient<Plugins>;
}

/** `base` seen through a scope: every function reached from it runs with the scope's options. */
function view<Plugins extends readonly AnyPlugin[]>(base: Record<string | symbol, unknown>, plugins: Plugins, scope: CallScope): FerriteClient<Plugins> {
  const enter = <T>(work: () => T): T => runInScope(mergeScopes(currentScope(), scope), work);
  const scoper = new Scoper(enter);
  const call =
    (name: 'send' | 'sendBuffer' | 'supports') =>
    (...args: unknown[]): unknown =>
      enter(() => (base[name] as (...a: unknown[]) => unknown)(...args));
  const client: Record<string | symbol, unknown> = {
    transport: base.transport,
    send: call('send'),
    sendBuffer: call('sendBuffer'),
    supports: call('supports'),
    extend: (plugin: AnyPlugin) => view((base.extend as (p: AnyPlugin) => Record<string, unknown>)(plugin), [...plugins, plugin], scope),
    withOptions: (callOptions: CallOptions) => view(base, plugins, mergeScopes(scope, toScope(callOptions))),
    close: base.close,
    [Symbol.asyncDispose]: base.close,
  };
  for (const plugin of plugins) client[plugin.name] = scoper.wrap(base[plugin.name]);
  return Object.freeze(client) as unknown as FerriteClient<Plugins>;
}
