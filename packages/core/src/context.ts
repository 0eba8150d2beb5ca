import { toArg, type ArgInput } from './args.js';
import { prepareCommand, type CommandDefinition, type PreparedCommand } from './command.js';
import { FerriteError, FerriteUnsupportedError, isReplyError } from './errors.js';
import type { DedicatedContext, PluginContext, Settled } from './plugin.js';
import { readArray, type Reply } from './reply.js';
import { traceBatch, traceCommand, type TraceScope } from './tracing.js';
import type { DedicatedOptions, Transport, WireCommand } from './transport.js';

/** Error replies that say the server lacks the command become `FerriteUnsupportedError`. */
function translate(error: unknown, command: string): FerriteError {
  if (isReplyError(error, 'unknown-command')) return new FerriteUnsupportedError(command, { cause: error });
  if (error instanceof FerriteError) return error;
  return new FerriteError('CONNECTION', error instanceof Error ? error.message : String(error), { cause: error });
}

function decode<Result>(prepared: PreparedCommand<Result>, reply: Reply, transport: Transport): Result {
  return prepared.definition.decode(reply, { protocol: transport.protocol });
}

export function rawCommand(name: string, args: readonly ArgInput[], binary = false): WireCommand {
  return binary ? { name, args: args.map(toArg), binary } : { name, args: args.map(toArg) };
}

/**
 * The command-running half of a client: shared by the client itself, by what plugins receive,
 * and by dedicated connections.
 */
export class CommandContext implements Omit<PluginContext, 'onClose' | 'dedicated'>, TraceScope {
  readonly transport: Transport;
  /** The plugin this context was given to, reported by tracing; `null` for the client's own calls. */
  readonly plugin: string | null;
  readonly #capabilities: Map<string, Promise<boolean>>;

  constructor(transport: Transport, capabilities = new Map<string, Promise<boolean>>(), plugin: string | null = null) {
    this.transport = transport;
    this.#capabilities = capabilities;
    this.plugin = plugin;
  }

  async call<Args extends readonly unknown[], Result>(
    command: CommandDefinition<Args, Result>,
    ...args: Args
  ): Promise<Result> {
    const prepared = prepareCommand(command, ...args);
    return traceCommand(this, 'call', prepared, async () => {
      let reply: Reply;
      try {
        reply = await this.transport.send(prepared.wire);
      } catch (error) {
        throw translate(error, command.name);
      }
      return decode(prepared, reply, this.transport);
    });
  }

  async batch<Result>(commands: readonly PreparedCommand<Result>[]): Promise<Settled<Result>[]> {
    if (commands.length === 0) return [];
    return traceBatch(this, commands, async () => {
      const entries = await this.transport.batch(commands.map((c) => c.wire));
      return entries.map((entry, i): Settled<Result> => {
        const prepared = commands[i] as PreparedCommand<Result>;
        if (!entry.ok) return { ok: false, error: translate(entry.error, prepared.wire.name) };
        try {
          return { ok: true, value: decode(prepared, entry.value, this.transport) };
        } catch (error) {
          return { ok: false, error: translate(error, prepared.wire.name) };
        }
      });
    });
  }

  send(name: string, ...args: ArgInput[]): Promise<Reply> {
    const wire = rawCommand(name, args);
    return traceCommand(this, 'send', wire, () => this.transport.send(wire));
  }

  sendBuffer(name: string, ...args: ArgInput[]): Promise<Reply> {
    const wire = rawCommand(name, args, true);
    return traceCommand(this, 'send', wire, () => this.transport.send(wire));
  }

  supports(command: string): Promise<boolean> {
    const name = command.toUpperCase();
    let known = this.#capabilities.get(name);
    if (!known) {
      known = this.transport.send({ name: 'COMMAND', args: ['INFO', name], routingKey: null }).then(
        (reply) => {
          const entry = readArray(reply)[0];
          return entry !== null && entry !== undefined;
        },
        (error: unknown) => {
          this.#capabilities.delete(name);
          throw translate(error, 'COMMAND');
        },
      );
      this.#capabilities.set(name, known);
    }
    return known;
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedContext> {
    const transport = await this.transport.dedicated(options);
    const context = new CommandContext(transport, this.#capabilities, this.plugin);
    const close = () => transport.close();
    return Object.assign(context, { close, [Symbol.asyncDispose]: close }) as unknown as DedicatedContext;
  }
}
