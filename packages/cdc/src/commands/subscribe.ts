import { defineCommand, FerriteValidationError, readInteger } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';

/** Options of `CDC.SUBSCRIBE` as `cdcSubscribeCommand` encodes them. */
export interface CdcSubscribeCommandOptions {
  /** Ops to keep (`EVENTS`); all when absent. */
  readonly events?: readonly string[] | undefined;
  /** First event id to deliver, or a keyword (`FROM`). The server's default is `LATEST`. */
  readonly from?: number | 'LATEST' | 'EARLIEST' | undefined;
}

const OP = /^[A-Za-z][A-Za-z0-9._-]*$/;

/** Checks a glob pattern as `subscribe` takes it. */
export function assertPattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== 'string') throw new FerriteValidationError('pattern', `expected a string, got ${typeof pattern}`);
  if (pattern === '') throw new FerriteValidationError('pattern', 'must not be empty (use "*" for every key)');
}

/** `CDC.SUBSCRIBE <pattern> [EVENTS <op> …] [FROM <id>|LATEST|EARLIEST]` → the subscription id. */
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
    return args;
  },
  decode: (reply) => readInteger(reply),
});
