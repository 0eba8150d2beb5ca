import { defineCommand, FerriteValidationError, readBigInteger } from '@ferrite/core';
import { assertCrdtKey, assertInt64Amount, assertOpId } from '../validate.js';

/**
 * `CRDT.COUNTER.INCR <key> <amount> ID <op-id>` → the counter's new value, exact, as a bigint.
 *
 * Retryable only because it carries an op-id: the server applies an op-id once (it remembers the
 * last 10000 per key), so a resend after a lost reply cannot count twice. This definition always
 * sends one; never mark an increment without an op-id retryable. `amount` is any signed 64-bit
 * integer, as a bigint or a safe-integer number.
 */
export const crdtCounterIncrCommand = defineCommand({
  name: 'CRDT.COUNTER.INCR',
  retryable: true,
  encode(key: string, amount: bigint | number, opId: string) {
    assertCrdtKey(key);
    if (typeof amount === 'number') {
      if (!Number.isSafeInteger(amount)) throw new FerriteValidationError('amount', `expected a safe integer, got ${amount}`);
    } else {
      assertInt64Amount(amount, 'amount');
    }
    assertOpId(opId);
    return [key, String(amount), 'ID', opId];
  },
  decode: (reply) => readBigInteger(reply),
});
