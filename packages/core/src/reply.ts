import { FerriteProtocolError } from './errors.js';

/**
 * A reply as every transport hands it over, whatever the driver or protocol version:
 *
 * - null for RESP2 `$-1`/`*-1` and RESP3 `_`;
 * - integers as `number`, or `bigint` outside the safe integer range (never rounded);
 * - strings as `string` (UTF-8), or `Buffer` when the command asked for a binary reply;
 *   verbatim strings as their text, without the `txt:` format prefix;
 * - RESP3 doubles and big numbers as their decimal text, as RESP2 sends them, so a value reads the
 *   same in both protocols: `'1.5'`, `'inf'`, `'-inf'`, `'nan'`, `'123456789012345678901234567890'`
 *   (read them with {@link readFloat} / {@link readBigInteger});
 * - RESP3 booleans as the integers 1 and 0;
 * - an error nested in a reply (an `EXEC` whose queued command failed, a script returning one)
 *   is not a value: the whole call rejects with it;
 * - arrays (RESP3 sets too) as arrays;
 * - RESP3 maps as `Map` with string keys (a `__proto__` field is data, not a prototype).
 *   RESP2 sends maps as flat arrays, so decoders read maps with {@link readMap}, which takes both.
 */
export type Reply = null | number | bigint | string | Buffer | Reply[] | Map<string, Reply>;

function describe(reply: Reply): string {
  if (reply === null) return 'null';
  if (Buffer.isBuffer(reply)) return 'binary string';
  if (Array.isArray(reply)) return `array of ${reply.length}`;
  if (reply instanceof Map) return 'map';
  return typeof reply;
}

function unexpected(expected: string, reply: Reply): never {
  throw new FerriteProtocolError(`expected ${expected}, got ${describe(reply)}`);
}

/** Reads a text reply (a Buffer is decoded as UTF-8; a number becomes its decimal text); anything else is a `FerriteProtocolError`. */
export function readText(reply: Reply): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number' || typeof reply === 'bigint') return String(reply);
  return unexpected('a string', reply);
}

/** As `readText`, with null for a null reply. */
export function readNullableText(reply: Reply): string | null {
  return reply === null ? null : readText(reply);
}

/** Reads a binary reply as a Buffer (text is encoded as UTF-8); anything else is a `FerriteProtocolError`. */
export function readBuffer(reply: Reply): Buffer {
  if (Buffer.isBuffer(reply)) return reply;
  if (typeof reply === 'string') return Buffer.from(reply, 'utf8');
  return unexpected('a binary string', reply);
}

/** An integer reply (or its decimal text) as a number; throws when it is not a safe integer. */
export function readInteger(reply: Reply): number {
  const value = readBigInteger(reply);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FerriteProtocolError(`integer ${value} is outside the safe range; read it with readBigInteger`);
  }
  return Number(value);
}

/** Reads an integer reply as a bigint, exact at any size. */
export function readBigInteger(reply: Reply): bigint {
  if (typeof reply === 'bigint') return reply;
  if (typeof reply === 'number' && Number.isInteger(reply)) return BigInt(reply);
  if (typeof reply === 'string' || Buffer.isBuffer(reply)) {
    const text = readText(reply);
    if (/^-?\d+$/.test(text)) return BigInt(text);
  }
  return unexpected('an integer', reply);
}

/** A number sent as an integer, a RESP3 double, or decimal text. */
export function readFloat(reply: Reply): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return Number(reply);
  if (typeof reply === 'string' || Buffer.isBuffer(reply)) {
    const text = readText(reply).trim();
    const lower = text.toLowerCase();
    if (lower === 'inf' || lower === '+inf') return Infinity;
    if (lower === '-inf') return -Infinity;
    const value = Number(text);
    if (text !== '' && !Number.isNaN(value)) return value;
  }
  return unexpected('a number', reply);
}

/** Reads an array reply; anything else is a `FerriteProtocolError`. */
export function readArray(reply: Reply): Reply[] {
  if (Array.isArray(reply)) return reply;
  return unexpected('an array', reply);
}

/** A map reply: a RESP3 map, or the flat `field, value, …` array RESP2 sends. */
export function readMap(reply: Reply): Map<string, Reply> {
  if (reply instanceof Map) return reply;
  if (Array.isArray(reply)) {
    if (reply.length % 2 !== 0) throw new FerriteProtocolError(`a field/value array has odd length ${reply.length}`);
    const map = new Map<string, Reply>();
    for (let i = 0; i < reply.length; i += 2) map.set(readText(reply[i] as Reply), reply[i + 1] as Reply);
    return map;
  }
  return unexpected('a map', reply);
}

/** Reads `field, value` pairs (an array or a map) into a null-prototype record of strings. */
export function readStringRecord(reply: Reply): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  for (const [field, value] of readMap(reply)) record[field] = readText(value);
  return record;
}

/** The simple-string `OK` most writes reply with. */
export function readOk(reply: Reply): 'OK' {
  if (readText(reply) !== 'OK') unexpected('OK', reply);
  return 'OK';
}
