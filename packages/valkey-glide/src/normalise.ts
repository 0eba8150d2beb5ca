import type { ProtocolVersion, Reply, WireCommand } from '@ferrite/core';
import { bigNumberReply, doubleLayout, doubleReply, exactInteger, replyErrorFor, textReply } from '@ferrite/core/transport';
import { serverText } from './errors.js';

/*
 * What GLIDE's `customCommand` hands over, and what becomes of it:
 *
 * - strings as `string` (`Decoder.String`) or `Buffer` (`Decoder.Bytes`, asked for binary replies);
 * - integers as a JS `number`, rounded beyond ±(2^53 − 1): such a number is refused
 *   (`FerriteInexactReplyError`), never handed on;
 * - doubles as a JS `number`, in RESP2 too for the commands GLIDE knows (`ZSCORE`, `INCRBYFLOAT`):
 *   turned into the shortest decimal text that reads back as the same double;
 * - RESP3 big numbers as `bigint`, booleans as `boolean`, sets as `Set`;
 * - maps as arrays of `{ key, value }`: RESP3 maps, and, in both protocols, the replies of commands
 *   GLIDE knows that it reshapes into maps (`HGETALL`, `ZRANGE … WITHSCORES`). RESP2 has no map,
 *   so there they are flattened back to what the server sent; in RESP3 the pairs of a score
 *   reply go back to the array of pairs Redis sends.
 */

type GlideEntry = { readonly key: unknown; readonly value: unknown };

/** Standard replies that are maps in RESP3: only the command says so when they are empty. */
const MAP_REPLIES: ReadonlySet<string> = new Set(['HGETALL', 'CONFIG', 'HELLO']);

function isEntry(value: unknown): value is GlideEntry {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && 'key' in value && 'value' in value;
}

function isGlideMap(raw: readonly unknown[]): boolean {
  return raw.length > 0 && raw.every(isEntry);
}

interface Reading {
  readonly command: WireCommand;
  readonly protocol: ProtocolVersion;
  readonly binary: boolean;
  /** The numbers of this reply are doubles (scores), not integers. */
  readonly doubles: boolean;
}

function keyText(key: unknown): string {
  return Buffer.isBuffer(key) ? key.toString('utf8') : String(key);
}

function convertMap(entries: readonly GlideEntry[], reading: Reading): Reply {
  if (reading.protocol === 2) return entries.flatMap(({ key, value }) => [convert(key, reading), convert(value, reading)]);
  if (reading.doubles) return entries.map(({ key, value }) => [convert(key, reading), convert(value, reading)]);
  const map = new Map<string, Reply>();
  for (const { key, value } of entries) map.set(keyText(key), convert(value, reading));
  return map;
}

function convert(raw: unknown, reading: Reading): Reply {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return reading.binary ? Buffer.from(raw, 'utf8') : raw;
  if (Buffer.isBuffer(raw)) return reading.binary ? raw : raw.toString('utf8');
  if (typeof raw === 'number') {
    if (reading.doubles || !Number.isInteger(raw)) return doubleReply(raw, reading.binary);
    return exactInteger(raw, reading.command.name, 'valkey-glide');
  }
  if (typeof raw === 'bigint') return bigNumberReply(raw, reading.binary);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  // An error inside a reply (EXEC with a failed command): the whole command fails with it.
  if (raw instanceof Error) throw replyErrorFor(reading.command.name, serverText(raw.message) ?? raw.message);
  if (raw instanceof Set) return [...raw].map((item) => convert(item, reading));
  if (Array.isArray(raw)) {
    const items: readonly unknown[] = raw;
    return isGlideMap(items) ? convertMap(items as readonly GlideEntry[], reading) : items.map((item) => convert(item, reading));
  }
  // A RESP3 attribute: the value it decorates.
  if (typeof raw === 'object' && 'value' in raw && 'attributes' in raw) return convert(raw.value, reading);
  return textReply(String(raw), reading.binary);
}

/** Turns what GLIDE decoded into the {@link Reply} every Ferrite transport hands over. */
export function normaliseReply(raw: unknown, command: WireCommand, protocol: ProtocolVersion): Reply {
  const binary = command.binary === true;
  // The common replies, a string or nothing, need no look at the command.
  if (typeof raw === 'string' && !binary) return raw;
  if (raw === null) return null;
  const layout = doubleLayout(command);
  const reading: Reading = { command, protocol, binary, doubles: layout === 'all' };
  if (!Array.isArray(raw)) return convert(raw, reading);
  const items: readonly unknown[] = raw;
  if (items.length === 0) return protocol === 3 && MAP_REPLIES.has(command.name.toUpperCase()) ? new Map() : [];
  if (layout === 'second') return items.map((item, index) => convert(item, { ...reading, doubles: index === 1 }));
  return convert(items, reading);
}
