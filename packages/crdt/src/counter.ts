import { FerriteValidationError, type PluginContext } from '@ferrite/core';
import { crdtCounterGetCommand } from './commands/counter-get.js';
import { crdtCounterIncrCommand } from './commands/counter-incr.js';
import { CrdtIndeterminateError, CrdtUnsafeIntegerError, mayHaveApplied, toCrdtError } from './errors.js';
import { newCrdtOpId } from './op-id.js';
import { assertCrdtKey, assertInt64Amount, assertOpId, assertSafeAmount } from './validate.js';

/** Options of one increment. */
export interface CrdtIncrOptions {
  /**
   * The increment's op-id, instead of a fresh random one. Give the same id for the same logical
   * increment (a queue message id, say) and the server counts it once however often it is sent,
   * from any client or process, as long as it still remembers the id: the last 10000 op-ids of
   * the key. A non-empty string without CR, LF or NUL.
   */
  readonly opId?: string;
}

/** How a counter takes and returns values. */
export interface CrdtCounterOptions {
  /**
   * `true`: amounts and values are `bigint`, exact over the whole signed 64-bit range. Otherwise
   * they are `number`, and a value beyond ±(2^53 − 1) rejects with `CrdtUnsafeIntegerError`.
   */
  readonly bigint?: boolean;
}

/**
 * A PN-counter at one key. `Value` is `number`, or `bigint` in `{ bigint: true }` mode.
 *
 * Every increment carries an op-id (fresh, 128 random bits, unless given), so core may resend it
 * after a lost reply and the server still counts it once. When the outcome cannot be learnt within
 * the deadline the call rejects with `CrdtIndeterminateError`, never with a value it did not see.
 */
export interface CrdtCounter<Value extends number | bigint> {
  readonly key: string;
  /** Adds `by` (default 1; 0 and negatives allowed) and resolves to the new value. */
  incr(by?: Value, options?: CrdtIncrOptions): Promise<Value>;
  /** Subtracts `by` (default 1) and resolves to the new value: `incr(-by)`. */
  decr(by?: Value, options?: CrdtIncrOptions): Promise<Value>;
  /** The current value, 0 when the key has never been incremented. */
  get(): Promise<Value>;
}

interface Mode<Value extends number | bigint> {
  readonly one: Value;
  /** Validates `by` (field `by`) and returns the signed amount, negated for `decr`. */
  amount(by: unknown, negate: boolean): Value;
  value(key: string, reply: bigint, applied: boolean): Value;
}

const numberMode: Mode<number> = {
  one: 1,
  amount(by, negate) {
    assertSafeAmount(by, 'by');
    return negate ? -by : by;
  },
  value(key, reply, applied) {
    if (reply > BigInt(Number.MAX_SAFE_INTEGER) || reply < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new CrdtUnsafeIntegerError(key, reply, applied);
    }
    return Number(reply);
  },
};

const bigintMode: Mode<bigint> = {
  one: 1n,
  amount(by, negate) {
    assertInt64Amount(by, 'by');
    const amount = negate ? -by : by;
    // -(-2^63) leaves the range: decr(-2^63) is an increment nobody can send.
    assertInt64Amount(amount, 'by');
    return amount;
  },
  value: (_key, reply) => reply,
};

function assertIncrOptions(options: unknown): asserts options is CrdtIncrOptions | undefined {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected an object');
  const { opId } = options as CrdtIncrOptions;
  if (opId !== undefined) assertOpId(opId);
}

export function createCounter<Value extends number | bigint>(context: PluginContext, key: string, mode: Mode<Value>): CrdtCounter<Value> {
  // A handle factory throws for a bad key at once, as `vector.index` and `semantic.cache` do.
  assertCrdtKey(key);
  const increment = async (by: unknown, negate: boolean, options: unknown): Promise<Value> => {
    const amount = mode.amount(by === undefined ? mode.one : by, negate);
    assertIncrOptions(options);
    // One op-id per logical increment: core's resends reuse these encoded arguments, id included.
    const opId = options?.opId ?? newCrdtOpId();
    let reply: bigint;
    try {
      reply = await context.call(crdtCounterIncrCommand, key, amount, opId);
    } catch (error) {
      if (mayHaveApplied(error)) throw new CrdtIndeterminateError({ key, amount, opId }, { cause: error, code: error.code });
      throw toCrdtError(error);
    }
    return mode.value(key, reply, true);
  };
  return Object.freeze({
    key,
    incr: (by?: Value, options?: CrdtIncrOptions) => increment(by, false, options),
    decr: (by?: Value, options?: CrdtIncrOptions) => increment(by, true, options),
    async get() {
      try {
        return mode.value(key, await context.call(crdtCounterGetCommand, key), false);
      } catch (error) {
        throw toCrdtError(error);
      }
    },
  });
}

export const counterModes = { number: numberMode, bigint: bigintMode } as const;
