import { toArg, type Arg, type ArgInput } from './args.js';
import { blockingTime } from './blocking-time.js';
import { combineSignals, EMPTY_SCOPE, mergeScopes, toScope, type CallOptions, type CallScope, type EffectiveCallOptions } from './call-options.js';
import { prepareCommand, type CommandDefinition, type PreparedCommand } from './command.js';
import { asFerriteError, FerriteConnectionError, FerriteError, FerriteUnsupportedError, FerriteValidationError, isReplyError } from './errors.js';
import type { ClientFamily } from './family.js';
import type { DedicatedContext, PluginContext, Settled } from './plugin.js';
import { readArray, type Reply } from './reply.js';
import { Call, FunctionCall, type AttemptOptions } from './run-call.js';
import { commandTracingActive, traceBatch, traceCommand, type TraceScope } from './tracing.js';
import type { BatchEntry, DedicatedOptions, Transport, TransportNode, TransportSendOptions, WireCommand } from './transport.js';
import { describeValue } from './validate.js';

/** Anything a transport rejects with, as a Ferrite error; "unknown command" becomes `FerriteUnsupportedError`. */
function translate(error: unknown, command: string): FerriteError {
  if (isReplyError(error, 'unknown-command')) return new FerriteUnsupportedError(command, { cause: error });
  return asFerriteError(error);
}


function decode<Result>(prepared: PreparedCommand<Result>, reply: Reply, transport: Transport): Result {
  return prepared.definition.decode(reply, { protocol: transport.protocol });
}

/**
 * A command given as a name and arguments (`ferrite.send`), checked before anything is sent. The
 * arguments array is the caller's rest parameter, owned by this call: it becomes the wire
 * arguments in place.
 */
export function rawCommand(name: unknown, args: unknown[], binary = false): WireCommand {
  if (typeof name !== 'string') throw new FerriteValidationError('command name', `expected a string, got ${describeValue(name)}`);
  if (name.length === 0) throw new FerriteValidationError('command name', 'must not be empty');
  const wireArgs = args as Arg[];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (typeof arg === 'string') continue;
    try {
      wireArgs[index] = toArg(arg as ArgInput);
    } catch (error) {
      if (error instanceof FerriteValidationError) throw new FerriteValidationError(`argument ${index + 1} of ${name.slice(0, 200)}`, error.message.replace(/^invalid argument: /, ''));
      throw error;
    }
  }
  return binary ? { name, args: wireArgs, binary } : { name, args: wireArgs };
}

/** One command sent as a call, and its options for the transport (its own signal, its node). */
class WireCall extends Call<Reply> implements TransportSendOptions {
  readonly #transport: Transport;
  readonly #wire: WireCommand;
  readonly node: string | undefined;
  readonly #translateUnknown: boolean;

  constructor(transport: Transport, wire: WireCommand, node: string | undefined, timeout: number, signals: readonly AbortSignal[], retryable: boolean, translateUnknown: boolean) {
    super(wire.name, timeout, signals, retryable);
    this.#transport = transport;
    this.#wire = wire;
    this.node = node;
    this.#translateUnknown = translateUnknown;
  }

  protected attempt(): Promise<Reply> {
    // The call is the options: its `signal` is made only if the transport reads it.
    return this.#transport.send(this.#wire, this);
  }

  protected override translate(error: unknown): unknown {
    return this.#translateUnknown ? translate(error, this.#wire.name) : asFerriteError(error);
  }
}

/** A context with close, as `dedicated()` hands out. */
type ContextWithClose = PluginContext & { close?: () => Promise<void> };

/**
 * The command-running half of a client, shared by the client itself, by what plugins receive, by
 * views and by dedicated connections. Every call runs under the options this context holds (its
 * view's, see `withOptions`), then the client's defaults: nothing ambient is read.
 */
export function createContext(
  transport: Transport,
  family: ClientFamily,
  own: CallScope = EMPTY_SCOPE,
  close?: () => Promise<void>,
  plugin: string | null = null,
  node?: string,
): ContextWithClose {
  // Tracing says which plugin issued a command (`null`: the client's own send).
  const traceScope: TraceScope = { transport, plugin };
  const baseTimeout = own.timeout ?? family.timeout;
  const effective = (): EffectiveCallOptions => ({ timeout: baseTimeout, signal: combineSignals(own.signals), viewTimeout: own.timeout });

  function run<T>(name: string, blockMs: number, retryable: boolean, attempt: (options: AttemptOptions) => Promise<T>, scope: CallScope = own): Promise<T> {
    const timeout = (scope.timeout ?? family.timeout) + blockMs;
    return new FunctionCall(name, timeout, scope.signals, retryable, attempt).run(family);
  }

  function sendWire(wire: WireCommand, blockMs: number, retryable: boolean, translateUnknown: boolean, scope: CallScope = own): Promise<Reply> {
    const timeout = (scope.timeout ?? family.timeout) + blockMs;
    return new WireCall(transport, wire, node, timeout, scope.signals, retryable, translateUnknown).run(family);
  }

  function sendRaw(binary: boolean, name: unknown, args: unknown[]): Promise<Reply> {
    let wire: WireCommand;
    try {
      wire = rawCommand(name, args, binary);
    } catch (error) {
      return Promise.reject(error);
    }
    // Never retried: core knows nothing of an arbitrary command, so it is sent at most once.
    const blockMs = blockingTime(wire.name, wire.args);
    if (!commandTracingActive()) return sendWire(wire, blockMs, false, false);
    return traceCommand(traceScope, 'send', wire, () => sendWire(wire, blockMs, false, false));
  }

  function batch<Result>(commands: readonly PreparedCommand<Result>[]): Promise<Settled<Result>[]> {
    if (commands.length === 0) return Promise.resolve([]);
    return traceBatch(traceScope, commands, () => runBatch(commands));
  }

  async function runBatch<Result>(commands: readonly PreparedCommand<Result>[]): Promise<Settled<Result>[]> {
    const entries = new Array<BatchEntry | undefined>(commands.length);
    const retryable = commands.some((c) => c.definition.retryable);
    const blockMs = commands.reduce((longest, command) => Math.max(longest, command.blockingMs), 0);
    try {
      await run('PIPELINE', blockMs, retryable, async ({ signal }) => {
        // Each attempt sends what has not settled yet: everything the first time, then the
        // retryable commands whose connection failed.
        const due = commands.flatMap((_, index) => (entries[index] === undefined ? [index] : []));
        let results: readonly BatchEntry[];
        try {
          results = await transport.batch(due.map((index) => (commands[index] as PreparedCommand<Result>).wire), node === undefined ? { signal } : { signal, node });
        } catch (error) {
          // A pipeline whose connection failed as a whole failed each of its commands: only the
          // retryable ones may go again, never a command unsafe to repeat riding along with them.
          const failure = asFerriteError(error);
          if (failure.code === 'CONNECTION') {
            for (const index of due) if (!(commands[index] as PreparedCommand<Result>).definition.retryable) entries[index] = { ok: false, error: failure };
          }
          throw error;
        }
        let retry: FerriteError | undefined;
        due.forEach((index, position) => {
          const entry = results[position] ?? { ok: false, error: new FerriteConnectionError('the transport returned no entry for this command') };
          if (!entry.ok && (commands[index] as PreparedCommand<Result>).definition.retryable && entry.error.code === 'CONNECTION') retry ??= entry.error;
          else entries[index] = entry;
        });
        if (retry) throw retry;
      });
    } catch (error) {
      const failure = asFerriteError(error);
      for (let index = 0; index < entries.length; index++) entries[index] ??= { ok: false, error: failure };
    }
    return entries.map((entry, index): Settled<Result> => {
      const prepared = commands[index] as PreparedCommand<Result>;
      const settled = entry as BatchEntry;
      if (!settled.ok) return { ok: false, error: translate(settled.error, prepared.wire.name) };
      try {
        return { ok: true, value: decode(prepared, settled.value, transport) };
      } catch (error) {
        return { ok: false, error: translate(error, prepared.wire.name) };
      }
    });
  }

  const context: ContextWithClose = {
    transport,
    call<Args extends readonly unknown[], Result>(command: CommandDefinition<Args, Result>, ...args: Args): Promise<Result> {
      let prepared: PreparedCommand<Result>;
      try {
        prepared = prepareCommand(command, ...args);
      } catch (error) {
        return Promise.reject(error);
      }
      return traceCommand(traceScope, 'call', prepared, () =>
        sendWire(prepared.wire, prepared.blockingMs, command.retryable, true).then((reply) => decode(prepared, reply, transport)),
      );
    },
    batch,
    send: (name: string, ...args: ArgInput[]) => sendRaw(false, name, args),
    sendBuffer: (name: string, ...args: ArgInput[]) => sendRaw(true, name, args),
    supports(command: string): Promise<boolean> {
      if (typeof command !== 'string' || command.length === 0) {
        return Promise.reject(new FerriteValidationError('command', `expected a command name, got ${describeValue(command)}`));
      }
      const name = command.toUpperCase();
      let known = family.capabilities.get(name);
      if (!known) {
        // Shared by every caller, so it runs with the client's own options: a caller's signal or
        // deadline only stops that caller's wait (below).
        known = sendWire({ name: 'COMMAND', args: ['INFO', name], routingKey: null, readonly: true }, 0, true, false, EMPTY_SCOPE).then(
          (reply) => {
            const entry = readArray(reply)[0];
            return entry !== null && entry !== undefined;
          },
          (error: unknown) => {
            family.capabilities.delete(name);
            throw translate(error, 'COMMAND');
          },
        );
        family.capabilities.set(name, known);
      }
      if (own === EMPTY_SCOPE) return known;
      const shared = known;
      return run('COMMAND', 0, false, () => shared);
    },
    async dedicated(options?: DedicatedOptions): Promise<DedicatedContext> {
      const opened = await run('CONNECT', 0, false, ({ signal }) =>
        transport.dedicated({ ...options, signal }).then((connection) => {
          // Opened after the caller gave up: nobody will close it but us.
          if (signal.aborted) {
            void connection.close().catch(() => {});
            throw new FerriteConnectionError('the dedicated connection opened after the call was abandoned', { maybeApplied: false });
          }
          return connection;
        }),
      );
      return createContext(opened, family, own, () => opened.close(), plugin) as unknown as DedicatedContext;
    },
    onClose: (cleanup) => family.onClose(cleanup),
    callOptions: effective,
    withOptions: (options: CallOptions) => createContext(transport, family, mergeScopes(own, toScope(options)), close, plugin, node),
    nodes: () => nodesOf(transport),
    onNode(nodeId: string): PluginContext {
      if (typeof nodeId !== 'string' || nodeId.length === 0) throw new FerriteValidationError('node', `expected a node id from nodes(), got ${describeValue(nodeId)}`);
      return createContext(transport, family, own, close, plugin, nodeId);
    },
  };
  if (close) {
    const dedicated = context as ContextWithClose & AsyncDisposable;
    dedicated.close = close;
    dedicated[Symbol.asyncDispose] = close;
  }
  return context;
}

/** The transport's primaries; a transport without `nodes()` is one node named after itself. */
export async function nodesOf(transport: Transport): Promise<readonly TransportNode[]> {
  if (transport.nodes) return transport.nodes();
  return [{ id: transport.name, host: '', port: 0 }];
}
