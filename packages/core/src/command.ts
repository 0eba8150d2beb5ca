import { toArg, type ArgInput } from './args.js';
import type { Reply } from './reply.js';
import type { ProtocolVersion, WireCommand } from './transport.js';

/** What a decoder may need to know about the connection a reply came from. */
export interface DecodeContext {
  /** RESP2 or RESP3: the two shape some replies differently (maps). */
  readonly protocol: ProtocolVersion;
}

/**
 * One command, described once and run unchanged on every transport: its name, how its
 * arguments are validated and encoded, which argument is the routing key, and how its reply is
 * read. Encoding and decoding are pure functions, testable with no transport.
 */
export interface CommandDefinition<Args extends readonly unknown[], Result> {
  readonly name: string;
  /**
   * Validates the caller's arguments and returns the wire arguments after the command name.
   * Throws a `FerriteValidationError` for bad input, before anything is sent.
   */
  readonly encode: (...args: Args) => readonly ArgInput[];
  /** Position of the routing key among the encoded arguments; `null` when the command has none. */
  readonly keyIndex: number | null;
  /** Reads and never writes. */
  readonly readonly: boolean;
  /** Sending it twice has the same effect as once, so it may be retried after a lost reply. */
  readonly retryable: boolean;
  /** Strings in the reply arrive as Buffers. */
  readonly binary: boolean;
  /**
   * The routing key names a collection (a vector index, a semantic namespace), so tracing may
   * report it (`db.collection.name`); other keys are user data and are never reported.
   */
  readonly collection: boolean;
  /** Turns the normalised reply into the result; pure, so it can be tested without a server. */
  readonly decode: (reply: Reply, context: DecodeContext) => Result;
  /**
   * For a command that waits on the server (`CDC.POLL … BLOCK`): how long, in milliseconds, given
   * the caller's arguments; added to the call's deadline. `Infinity` for a wait without end, `0`
   * (or absent) for a command that answers at once. Read from the definition, never guessed from
   * the values sent.
   */
  readonly blockingMs?: ((args: Args) => number) | undefined;
}

/** The argument types a command definition takes. */
export type CommandArgs<C> = C extends CommandDefinition<infer A, unknown> ? A : never;
/** The result type a command definition decodes to. */
export type CommandResult<C> = C extends {
  /** The decoder whose result type is taken. */
  readonly decode: (reply: Reply, context: DecodeContext) => infer R;
}
  ? R
  : never;

/** What `defineCommand` takes: name, encoder and decoder, and the flags that default to the safe choice. */
export interface CommandSpec<Args extends readonly unknown[], Result>
  extends Partial<Pick<CommandDefinition<Args, Result>, 'keyIndex' | 'readonly' | 'retryable' | 'binary' | 'collection'>> {
  /** The command name as sent (`VECTOR.SEARCH`). */
  readonly name: string;
  /** Validates and encodes the arguments; throws `FerriteValidationError` for bad input. */
  readonly encode: (...args: Args) => readonly ArgInput[];
  /** Turns the normalised reply into the result; pure. */
  readonly decode: (reply: Reply, context: DecodeContext) => Result;
  /** How long the command may wait on the server, from the caller's arguments (see {@link CommandDefinition.blockingMs}). */
  readonly blockingMs?: ((args: Args) => number) | undefined;
}

/**
 * Defines a command. Defaults: the routing key is the first argument (`keyIndex: 0`, as for every
 * VECTOR.*, SEMANTIC.* and CRDT.* command), not read-only, not retryable, text replies, a key that
 * is not a collection name.
 */
export function defineCommand<Args extends readonly unknown[], Result>(
  spec: CommandSpec<Args, Result>,
): CommandDefinition<Args, Result> {
  return Object.freeze({
    keyIndex: 0,
    readonly: false,
    retryable: false,
    binary: false,
    collection: false,
    ...spec,
  });
}

/** A command with its arguments encoded (and so validated), ready to send or batch. */
export interface PreparedCommand<Result> {
  readonly wire: WireCommand;
  readonly definition: CommandDefinition<readonly never[], Result>;
  /** Milliseconds the command may wait on the server, from its definition's `blockingMs` (0 when it has none). */
  readonly blockingMs: number;
}

function blockingMsOf(name: string, ms: unknown): number {
  if (typeof ms === 'number' && ms >= 0) return ms;
  throw new TypeError(`the blockingMs of ${name}'s definition returned ${String(ms)}, not a number of milliseconds`);
}

/** Validates and encodes a call. Throws `FerriteValidationError` here, before anything is sent. */
export function prepareCommand<Args extends readonly unknown[], Result>(
  definition: CommandDefinition<Args, Result>,
  ...args: Args
): PreparedCommand<Result> {
  const encoded = definition.encode(...args).map(toArg);
  const routingKey = definition.keyIndex === null ? null : encoded[definition.keyIndex];
  return {
    wire: {
      name: definition.name,
      args: encoded,
      routingKey: routingKey ?? null,
      binary: definition.binary,
      readonly: definition.readonly,
    },
    definition: definition as unknown as CommandDefinition<readonly never[], Result>,
    blockingMs: definition.blockingMs === undefined ? 0 : blockingMsOf(definition.name, definition.blockingMs(args)),
  };
}
