import type { EngineReply } from './reply.js';

/**
 * The contract between the dispatcher and every command module (keys.ts, strings.ts, …,
 * vector.ts, semantic.ts, crdt.ts, cdc.ts). A module exports an array of CommandSpec.
 *
 * Conventions:
 * - Arguments arrive as Buffers (binary-safe). Keys, names and values are held in memory as
 *   latin1 strings (`buf.toString('latin1')`, one char per byte) so that Maps key on exact bytes;
 *   text meant as UTF-8 (semantic text, FILTER expressions) is decoded with `toString('utf8')`.
 * - Errors: throw `CommandError` with the exact text from docs/protocol.md (or Redis' own for the
 *   standard subset).
 * - Arity is checked by the dispatcher before the handler runs (Redis convention, below).
 */
export interface CommandSpec {
  /** Upper case, as in `COMMAND INFO` (`VECTOR.SEARCH`, `SET`). */
  readonly name: string;
  /** Redis convention: counts the command name; negative `-n` means at least `n`. */
  readonly arity: number;
  /** `COMMAND INFO` flags, e.g. `write`, `readonly`, `fast`, `denyoom`, `noscript`, `loading`, `stale`. */
  readonly flags: readonly string[];
  /** `COMMAND INFO` key positions: first key, last key (-1 = last argument), step. 0, 0, 0 for none. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** May return a promise (blocking commands: CDC.POLL BLOCK, DEBUG SLEEP). */
  readonly handler: (context: ExecutionContext, args: readonly Buffer[]) => EngineReply | Promise<EngineReply>;
}

/** One logical database (`SELECT n`). */
export interface Database {
  readonly index: number;
  /**
   * State of an extension (vector indexes, semantic namespaces, CRDT values) kept per database,
   * outside the key space: created on first use, dropped by FLUSHDB/FLUSHALL.
   */
  extension<T>(name: string, create: () => T): T;
}

/** What a handler may use. The concrete classes live in emulator.ts and session.ts. */
export interface ExecutionContext {
  /** The database the session has selected. */
  readonly db: Database;
  /** Milliseconds since the epoch, from the emulator's injectable clock. */
  now(): number;
  /** The emulator's text embedder (semantic cache). */
  readonly embed: (text: string) => Float32Array;
  /** The semantic cache's default TTL in seconds, or undefined for none. */
  readonly semanticDefaultTtl: number | undefined;
  /** Per-connection state. */
  readonly session: SessionView;
  /** Aborted when the connection closes, so a blocking handler can stop waiting. */
  readonly signal: AbortSignal;
  /**
   * Appends a CDC event for the selected database (docs/protocol.md#change-data-capture). Every write of the key space
   * calls it once per key it changed; `value` is the new string value after string writes, else null.
   */
  recordChange(op: string, key: string, value: Buffer | null): void;
  /** The server-wide change log (engine/cdc/change-log.ts). */
  readonly changeLog: ChangeLogView;
}

/** The change log as the rest of the engine sees it; engine/cdc owns the implementation. */
export interface ChangeLogView {
  append(event: ChangeEventInput): void;
}

export interface ChangeEventInput {
  readonly db: number;
  /** Upper case (`SET`, `DEL`, `EXPIRED`, `FLUSHDB`). */
  readonly op: string;
  /** latin1 binary string; empty for FLUSHDB/FLUSHALL. */
  readonly key: string;
  readonly value: Buffer | null;
}

export interface SessionView {
  readonly id: number;
  readonly protocol: 2 | 3;
  /** Per-connection state of an extension (CDC subscriptions), created on first use. */
  extension<T>(name: string, create: () => T): T;
  /** Runs when the connection closes (CDC subscriptions end with it). */
  onClose(cleanup: () => void): void;
}
