import { defineCommand, FerriteValidationError, readInteger } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';

/** Options of `CDC.SUBSCRIBE` as `cdcSubscribeCommand` encodes them. */
export interface CdcSubscribeCommandOptions {
  /** Ops to keep (`EVENTS`); all when absent. */
  readonly events?: readonly string[] | undefined;
  /** First event id to deliver, or a keyword (`FROM`). The server's default is `LATEST`. */
  readonly from?: number | 'LATEST' | 'EARLIEST' | undefined;
  /**
   * With a numeric `from` (PROTOCOL.md §8.1, v1.2): the log and epoch the position was read in.
   * The server then refuses a position from another log (`cdc log mismatch`) or one a failover
   * rolled back (`cdc position lost`) instead of serving it.
   */
  readonly log?: { readonly logId: string; readonly epoch: number } | undefined;
}

const OP = /^[A-Za-z][A-Za-z0-9._-]*$/;
const LOG_ID = /^[0-9a-f]{40}$/;

/** Checks a glob pattern as `subscribe` takes it. */
export function assertPattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== 'string') throw new FerriteValidationError('pattern', `expected a string, got ${typeof pattern}`);
  if (pattern === '') throw new FerriteValidationError('pattern', 'must not be empty (use "*" for every key)');
}

/** `CDC.SUBSCRIBE <pattern> [EVENTS <op> …] [FROM <id>|LATEST|EARLIEST [LOG <log_id> EPOCH <e>]]` → the subscription id. */
export const cdcSubscribeCommand = defineCommand({
  name: 'CDC.SUBSCRIBE',
  keyIndex: null,
  encode(pattern: string, options: CdcSubscribeCommandOptions = {}) {
    assertPattern(pattern);
    const args: (string | number)[] = [pattern];
    if (options.events !== undefined) {
      if (!Array.isArray(options.events) || options.events.length === 0) {
        throw new FerriteValidationError('events', 'expected a non-empty array of op names');
      }
      for (const op of options.events) {
        // EVENTS ends where FROM begins, so an op named FROM cannot be expressed on the wire.
        if (typeof op !== 'string' || !OP.test(op) || op.toUpperCase() === 'FROM') {
          throw new FerriteValidationError('events', `"${String(op)}" is not an op name`);
        }
      }
      args.push('EVENTS', ...options.events.map((op) => op.toUpperCase()));
    }
    if (options.from !== undefined) {
      if (options.from !== 'LATEST' && options.from !== 'EARLIEST') assertInteger(options.from, 'from', { min: 1, max: Number.MAX_SAFE_INTEGER });
      args.push('FROM', options.from);
    }
    if (options.log !== undefined) {
      if (typeof options.from !== 'number') throw new FerriteValidationError('log', 'LOG and EPOCH go with a numeric from');
      if (typeof options.log.logId !== 'string' || !LOG_ID.test(options.log.logId)) throw new FerriteValidationError('log', 'expected a log id of 40 lowercase hex characters');
      assertInteger(options.log.epoch, 'epoch', { min: 0, max: Number.MAX_SAFE_INTEGER });
      args.push('LOG', options.log.logId, 'EPOCH', options.log.epoch);
    }
    return args;
  },
  decode: (reply) => readInteger(reply),
});
