/*
 * One representation of numbers for every transport and protocol (see `Reply`):
 * integers as `number` when safe, else `bigint`; RESP3 big numbers and doubles as the decimal
 * text RESP2 sends for them (`inf`, `-inf`, `nan` for the special doubles).
 */

/** The range of a RESP `:` integer (signed 64-bit). */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Text, or its UTF-8 bytes when the command asked for a binary reply. */
export function textReply(text: string, binary: boolean): string | Buffer {
  return binary ? Buffer.from(text, 'utf8') : text;
}

/** An integer reply (its decimal text, or a bigint) as a `number` when safe, else a `bigint`. */
export function integerReply(value: string | bigint): number | bigint {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : BigInt(value);
}

/** A RESP3 big number as the decimal text RESP2 sends. */
export function bigNumberReply(value: string | bigint, binary: boolean): string | Buffer {
  return textReply(typeof value === 'bigint' ? value.toString() : value.replace(/^\+/, ''), binary);
}

/**
 * A RESP3 double as the decimal text RESP2 sends: the server's own text when the driver kept it,
 * else the shortest text that reads back as the same number; `inf`, `-inf` and `nan` as Redis
 * writes them.
 */
export function doubleReply(value: string | number, binary: boolean): string | Buffer {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return textReply('nan', binary);
    if (value === Infinity) return textReply('inf', binary);
    if (value === -Infinity) return textReply('-inf', binary);
    return textReply(String(value), binary);
  }
  const lower = value.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return textReply('inf', binary);
  if (lower === '-inf') return textReply('-inf', binary);
  if (lower === 'nan' || lower === '-nan' || lower === '+nan') return textReply('nan', binary);
  return textReply(value, binary);
}
