import type { Reply, WireCommand } from '@ferrite/core';
import { doubleLayout, doubleReply, integerReply, INT64_MAX, INT64_MIN, replyErrorFor, textReply as text } from '@ferrite/core/transport';

/*
 * What the transport's connections hand over (ioredis 6, `callBuffer`, `stringNumbers: true`,
 * `replyMapping: 'resp3'` on RESP3 connections):
 *
 * - bulk, simple and verbatim strings as `Buffer` (verbatim without its `txt:` prefix);
 * - integers as decimal text in a JS `string` (ioredis parses `:` replies into a double
 *   otherwise, which rounds above 2^53), RESP3 big numbers and doubles as JS strings too;
 * - RESP3 booleans as `true`/`false`, maps as plain objects (`__proto__` kept as an own field),
 *   sets as arrays, null as `null`.
 *
 * In RESP2 a JS string is therefore always an integer. In RESP3 a double whose value is whole
 * (`ZSCORE` of 3 sends `,3`) looks exactly like an integer; only the command tells them apart
 * (`doubleLayout`, from the kit). A big number is told apart by its size only (one
 * within the 64-bit range comes out as an integer; Redis sends big numbers for no command).
 */

const INTEGER = /^-?\d+$/;

// A RESP `:` integer is signed 64-bit; a longer run of digits can only be a RESP3 big number,
// which every transport hands over as text.
function integer(value: string, binary: boolean): number | bigint | string | Buffer {
  const parsed = integerReply(value);
  return typeof parsed === 'bigint' && (parsed < INT64_MIN || parsed > INT64_MAX) ? text(value, binary) : parsed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function convert(raw: unknown, command: WireCommand, doubles: boolean): Reply {
  const binary = command.binary === true;
  if (raw === null || raw === undefined) return null;
  // An error inside a reply (EXEC with a failed command): the whole command fails with it, as on
  // every other transport. Only the server's text is kept.
  if (raw instanceof Error) throw replyErrorFor(command.name, raw.message);
  if (Buffer.isBuffer(raw)) return binary ? raw : raw.toString('utf8');
  // Strings arrive as Buffers, so a JS string is a number's text: an integer, or a double (whose
  // `-nan`/`+inf` spellings normalise like every transport's).
  if (typeof raw === 'string') return !doubles && INTEGER.test(raw) ? integer(raw, binary) : doubleReply(raw, binary);
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : doubleReply(raw, binary);
  if (typeof raw === 'bigint') return integerReply(raw);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (Array.isArray(raw)) return raw.map((item) => convert(item, command, doubles));
  if (raw instanceof Map) {
    const map = new Map<string, Reply>();
    for (const [key, value] of raw) map.set(String(key), convert(value, command, doubles));
    return map;
  }
  if (isPlainObject(raw)) {
    // A RESP3 map: Object.entries keeps `__proto__`, which ioredis stores as an own property.
    const map = new Map<string, Reply>();
    for (const [key, value] of Object.entries(raw)) map.set(key, convert(value, command, doubles));
    return map;
  }
  return String(raw);
}

/**
 * Turns what ioredis decoded into the {@link Reply} every Ferrite transport hands over; throws a
 * `FerriteReplyError` for an error nested in the reply.
 */
export function normaliseReply(raw: unknown, command: WireCommand): Reply {
  // The common replies, a string or nothing, need no look at the command.
  if (Buffer.isBuffer(raw)) return command.binary === true ? raw : raw.toString('utf8');
  if (raw === null || raw === undefined) return null;
  const layout = doubleLayout(command);
  if (layout === 'second' && Array.isArray(raw)) {
    return raw.map((item, index) => convert(item, command, index === 1));
  }
  return convert(raw, command, layout === 'all');
}
