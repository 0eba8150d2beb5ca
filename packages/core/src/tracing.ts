import { tracingChannel } from 'node:diagnostics_channel';
import type { Arg } from './args.js';
import type { PreparedCommand } from './command.js';
import type { Settled } from './plugin.js';
import type { ProtocolVersion, Transport, TransportServer, WireCommand } from './transport.js';

/**
 * The name of the `node:diagnostics_channel` tracing channel on which every command is published:
 * `tracingChannel(FERRITE_COMMAND_CHANNEL)` gives `start`, `end`, `asyncStart`, `asyncEnd` and
 * `error` sub-channels, each receiving the same {@link FerriteCommandEvent} object for one call.
 */
export const FERRITE_COMMAND_CHANNEL = 'ferrite:command';

/** Which client path published the event. */
export type FerriteCommandOperation = 'call' | 'batch' | 'send';

/**
 * What a subscriber to `ferrite:command` receives: one object per `call`, `batch`, `send` or
 * `sendBuffer`, the same object on every sub-channel, identical for every transport. It never
 * carries argument values (prompts, vectors, metadata): only `statement` renders them, and only
 * when read (it is a lazy, non-enumerable getter, so logging or spreading the event leaves it out).
 *
 * The fields after `server` are filled in when the call settles, before `asyncEnd` (and `error`)
 * are published.
 */
export interface FerriteCommandEvent {
  readonly operation: FerriteCommandOperation;
  /**
   * The command name as sent, upper-cased (`VECTOR.SEARCH`). For a batch, the name all of its
   * commands share, or `null` when they differ (see `commands`).
   */
  readonly command: string | null;
  /** The name of every command, in order: one entry, or one per batch entry. */
  readonly commands: readonly string[];
  /** The plugin whose API issued the command (`vector`, `semantic`); `null` for `ferrite.send`. */
  readonly plugin: string | null;
  /** The transport's name: `memory`, `ioredis`, `node-redis`. */
  readonly transport: string;
  readonly protocol: ProtocolVersion;
  /** How many commands the batch pipelined; `null` for a single command. */
  readonly batchSize: number | null;
  /**
   * The index or namespace the command works on, for commands defined with `collection: true`
   * (vector indexes, semantic namespaces). For a batch, the one they all share, else `null`.
   */
  readonly collection: string | null;
  /** Where the transport sends commands, when it knows a single address (not for clusters). */
  readonly server: TransportServer | null;
  /**
   * The command line with its arguments (binary arguments as `<N bytes>`), one line per batch
   * entry. Computed on first read and never enumerable: read it only to record query text.
   */
  readonly statement: string;
  /** Milliseconds from the start of the call until it settled. */
  readonly durationMs?: number;
  /** `error` when the call rejected, or when any entry of a batch failed. */
  readonly outcome?: 'ok' | 'error';
  /** The error's class name (`FerriteReplyError`, `FerriteTimeoutError`, …): the first failure's for a batch. */
  readonly errorClass?: string;
  /** For a batch: how many entries failed. */
  readonly failed?: number;
  /** Set by `diagnostics_channel` when the call rejected. */
  readonly error?: unknown;
}

type MutableEvent = { -readonly [K in keyof FerriteCommandEvent]: FerriteCommandEvent[K] };

const channel = tracingChannel<string, MutableEvent>(FERRITE_COMMAND_CHANNEL);

/**
 * Runs one command's work for an instrumentation: it must call `run` once and return (or await)
 * its promise, and may call it inside a context of its own, for example OpenTelemetry's
 * `context.with(trace.setSpan(context.active(), span), run)`, so that what the driver does for the
 * command (its own spans) happens in that context. `event` is the object published on
 * `ferrite:command` for the same command, after `start` was published.
 */
export type CommandExecutionWrapper = <T>(event: FerriteCommandEvent, run: () => Promise<T>) => Promise<T>;

// Kept on a global symbol, like the error brands: two copies of core in one process (duplicated
// installs) share one list, as they share the `ferrite:command` channel.
const WRAPPERS = Symbol.for('@ferrite/core.commandExecutionWrappers');
type WrapperRegistry = { [WRAPPERS]?: CommandExecutionWrapper[] };

function wrappers(): CommandExecutionWrapper[] {
  const registry = globalThis as WrapperRegistry;
  return (registry[WRAPPERS] ??= []);
}

/**
 * Has `wrapper` run the transport work of every command of every Ferrite client in the process,
 * while `ferrite:command` has subscribers (an instrumentation subscribes and registers together).
 * Wrappers registered earlier run outside later ones. Returns a function that removes it.
 */
export function wrapCommandExecution(wrapper: CommandExecutionWrapper): () => void {
  if (typeof wrapper !== 'function') throw new TypeError('wrapCommandExecution expects a function');
  wrappers().push(wrapper);
  return () => {
    const list = wrappers();
    const index = list.indexOf(wrapper);
    if (index !== -1) list.splice(index, 1);
  };
}

function wrapped<T>(event: MutableEvent, work: () => Promise<T>): Promise<T> {
  const list = wrappers();
  if (list.length === 0) return work();
  return list.reduceRight<() => Promise<T>>((inner, wrapper) => () => wrapper(event, inner), work)();
}

/** Who is calling: the transport and, for a plugin's context, the plugin's name. */
export interface TraceScope {
  readonly transport: Transport;
  readonly plugin: string | null;
}

function renderArg(arg: Arg): string {
  return typeof arg === 'string' ? arg : `<${arg.length} bytes>`;
}

function statementOf(commands: readonly WireCommand[]): string {
  return commands.map((c) => [c.name, ...c.args.map(renderArg)].join(' ')).join('\n');
}

function shared<T>(values: readonly T[]): T | null {
  const first = values[0];
  return first !== undefined && values.every((v) => v === first) ? first : null;
}

function collectionOf(prepared: PreparedCommand<unknown>): string | null {
  const key = prepared.definition.collection ? prepared.wire.routingKey : null;
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? key : key.toString('utf8');
}

function errorClassOf(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name;
  return typeof error;
}

function createEvent(
  scope: TraceScope,
  operation: FerriteCommandOperation,
  wires: readonly WireCommand[],
  collections: readonly (string | null)[],
): MutableEvent {
  const commands = wires.map((w) => w.name.toUpperCase());
  const event: Omit<MutableEvent, 'statement'> = {
    operation,
    command: shared(commands),
    commands,
    plugin: scope.plugin,
    transport: scope.transport.name,
    protocol: scope.transport.protocol,
    batchSize: operation === 'batch' ? wires.length : null,
    collection: shared(collections),
    server: scope.transport.server ?? null,
  };
  let statement: string | undefined;
  Object.defineProperty(event, 'statement', { enumerable: false, get: () => (statement ??= statementOf(wires)) });
  return event as MutableEvent;
}

async function run<T>(event: MutableEvent, work: () => Promise<T>, failures: (value: T) => unknown[]): Promise<T> {
  let value!: T;
  const started = performance.now();
  // The traced function resolves to nothing, so `diagnostics_channel` never attaches the reply
  // (which may hold cached prompts or vectors) to the event as `result`.
  await channel.tracePromise(async () => {
    try {
      value = await wrapped(event, work);
      const failed = failures(value);
      event.outcome = failed.length === 0 ? 'ok' : 'error';
      if (failed.length > 0) event.errorClass = errorClassOf(failed[0]);
      if (event.operation === 'batch') event.failed = failed.length;
    } catch (error) {
      event.outcome = 'error';
      event.errorClass = errorClassOf(error);
      throw error;
    } finally {
      event.durationMs = performance.now() - started;
    }
  }, event);
  return value;
}

const none = (): unknown[] => [];

/**
 * Whether anyone listens on `ferrite:command` now. Callers check it before {@link traceCommand}
 * so that an untraced call allocates no closure for its work.
 */
export function commandTracingActive(): boolean {
  return channel.hasSubscribers;
}

/** Runs one command (`call`, `send`, `sendBuffer`), publishing it when someone listens. */
export function traceCommand<T>(
  scope: TraceScope,
  operation: 'call' | 'send',
  command: PreparedCommand<unknown> | WireCommand,
  work: () => Promise<T>,
): Promise<T> {
  if (!channel.hasSubscribers) return work();
  const prepared = 'wire' in command ? command : null;
  const wire = prepared ? prepared.wire : (command as WireCommand);
  return run(createEvent(scope, operation, [wire], [prepared ? collectionOf(prepared) : null]), work, none);
}

/** Runs a pipeline, publishing it as one event when someone listens. */
export function traceBatch<T>(
  scope: TraceScope,
  commands: readonly PreparedCommand<unknown>[],
  work: () => Promise<Settled<T>[]>,
): Promise<Settled<T>[]> {
  if (!channel.hasSubscribers) return work();
  const event = createEvent(scope, 'batch', commands.map((c) => c.wire), commands.map(collectionOf));
  return run(event, work, (entries) => entries.flatMap((e) => (e.ok ? [] : [e.error])));
}
