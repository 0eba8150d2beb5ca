/** One wire argument. Every argument is a binary-safe bulk string on the wire. */
export type Arg = string | Buffer;

/** What callers may pass where an argument goes; numbers are sent as decimal text. */
export type ArgInput = string | Buffer | Uint8Array | number | bigint;

/** Converts one argument to what goes on the wire: strings and Buffers as they are, numbers and bigints as decimal text, other byte arrays as a Buffer view. */
export function toArg(value: ArgInput): Arg {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot send the non-finite number ${value}`);
    return String(value);
  }
  throw new TypeError(`cannot send a value of type ${typeof value}`);
}
