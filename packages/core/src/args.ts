import { FerriteValidationError } from './errors.js';
import { describeValue } from './validate.js';

/** One wire argument. Every argument is a binary-safe bulk string on the wire. */
export type Arg = string | Buffer;

/** What callers may pass where an argument goes; numbers are sent as decimal text. */
export type ArgInput = string | Buffer | Uint8Array | number | bigint;

/**
 * One argument as it goes on the wire. Throws `FerriteValidationError` for anything else
 * (`undefined`, `null`, objects, `NaN`, `Infinity`): sent as text they would be `"undefined"` or
 * `"[object Object]"`, almost always a bug upstream.
 */
export function toArg(value: ArgInput): Arg {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FerriteValidationError('argument', `cannot send the non-finite number ${value}`);
    return String(value);
  }
  throw new FerriteValidationError('argument', `expected a string, Buffer, number or bigint, got ${describeValue(value)}`);
}
