import type { Reply } from '@ferrite/core';
import { bigNumberReply, doubleReply, integerReply, replyErrorFor, textReply as text } from '@ferrite/core/transport';
import { ErrorReply, RESP_TYPES, type TypeMapping } from 'redis';

/*
 * How replies are decoded. Every command gets a fresh `typeMapping` (see `ReplyDecoding`):
 *
 * - bulk, simple and verbatim strings as `Buffer`, so a JS string can only be a number's text;
 * - integers (`:`) and doubles (`,`) as their text, never through a JS number: node-redis parses
 *   `:` into a double otherwise, which rounds above 2^53, and a double must stay the text the
 *   server sent (RESP2 sends it as a bulk string);
 * - big numbers (`(`) as `bigint` (the decoder's default), exact;
 * - maps as `Map`: the default plain object turns a `__proto__` field into a prototype;
 * - booleans as `true`/`false`, sets as arrays, null as `null`.
 *
 * Integers and doubles both arrive as JS strings, and a whole double (`ZSCORE` of 3 sends `,3`)
 * looks exactly like an integer. The decoder reads the mapping entry of a number's type once per
 * value, in reply order, so getters on those two entries record the type of each number as it is
 * decoded; the walk below pairs the record with the JS strings in the same order.
 */

type NumberKind = 'integer' | 'double';

/**
 * The `typeMapping` for one command, and the kinds of the numbers the decoder met, in order. The
 * mapping is the instance itself: fixed entries and the two recording getters live on the
 * prototype, so a command pays for one small object.
 */
export class ReplyDecoding {
  /** Filled as the decoder meets numbers (most replies have none, so it starts absent). */
  numbers: NumberKind[] | undefined = undefined;

  get typeMapping(): TypeMapping {
    return this as unknown as TypeMapping;
  }
}

for (const [type, value] of [
  [RESP_TYPES.SIMPLE_STRING, Buffer],
  [RESP_TYPES.BLOB_STRING, Buffer],
  [RESP_TYPES.VERBATIM_STRING, Buffer],
  [RESP_TYPES.MAP, Map],
] as const) {
  Object.defineProperty(ReplyDecoding.prototype, type, { value, enumerable: true });
}
Object.defineProperty(ReplyDecoding.prototype, RESP_TYPES.NUMBER, {
  enumerable: true,
  get(this: ReplyDecoding) {
    (this.numbers ??= []).push('integer');
    return String;
  },
});
Object.defineProperty(ReplyDecoding.prototype, RESP_TYPES.DOUBLE, {
  enumerable: true,
  get(this: ReplyDecoding) {
    (this.numbers ??= []).push('double');
    return String;
  },
});

const NO_NUMBERS: readonly NumberKind[] = [];
const INTEGER_TEXT = /^[-+]?\d+$/;
const NUMBER_TEXT = /^[-+]?(\d+\.?\d*(e[-+]?\d+)?|inf|nan)$/i;

interface Census {
  /** JS strings outside map keys: each one consumed a recorded number kind. */
  values: number;
  /** Map keys that are JS strings looking like numbers: each may or may not have consumed one. */
  numericKeys: number;
}

function count(raw: unknown, into: Census, isKey: boolean): void {
  if (typeof raw === 'string') {
    if (!isKey) into.values++;
    else if (NUMBER_TEXT.test(raw)) into.numericKeys++;
  } else if (Array.isArray(raw)) {
    for (const item of raw) count(item, into, false);
  } else if (raw instanceof Map) {
    for (const [key, value] of raw) {
      count(key, into, true);
      count(value, into, false);
    }
  }
}

/**
 * Which number kind each JS string has: read from the record when it lines up with the reply,
 * else (a decoder that read the mapping another way) guessed from the text, as integers.
 */
class NumberKinds {
  readonly #kinds: readonly NumberKind[] | null;
  readonly #keysConsume: boolean;
  #next = 0;

  constructor(raw: unknown, recorded: readonly NumberKind[]) {
    const counted: Census = { values: 0, numericKeys: 0 };
    count(raw, counted, false);
    // Map keys from bulk strings record nothing; keys sent as numbers (rare) record one each.
    if (recorded.length === counted.values) {
      this.#kinds = recorded;
      this.#keysConsume = false;
    } else if (recorded.length === counted.values + counted.numericKeys) {
      this.#kinds = recorded;
      this.#keysConsume = true;
    } else {
      this.#kinds = null;
      this.#keysConsume = false;
    }
  }

  value(text: string): NumberKind {
    if (!this.#kinds) return INTEGER_TEXT.test(text) ? 'integer' : 'double';
    return this.#kinds[this.#next++] ?? 'double';
  }

  key(text: string): void {
    if (this.#kinds && this.#keysConsume && NUMBER_TEXT.test(text)) this.#next++;
  }
}


function mapKey(raw: unknown, kinds: NumberKinds, commandName: string): string {
  if (typeof raw === 'string') {
    kinds.key(raw);
    return raw;
  }
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (typeof raw === 'bigint' || typeof raw === 'number') return String(raw);
  if (typeof raw === 'boolean') return raw ? '1' : '0';
  throw replyErrorFor(commandName, `ERR unsupported map key in the reply of ${commandName.toUpperCase()}`);
}

function convert(raw: unknown, binary: boolean, kinds: NumberKinds, commandName: string): Reply {
  if (raw === null || raw === undefined) return null;
  if (Buffer.isBuffer(raw)) return binary ? raw : raw.toString('utf8');
  if (typeof raw === 'string') return kinds.value(raw) === 'integer' ? integerReply(raw) : doubleReply(raw, binary);
  // RESP3 big numbers: decimal text, as RESP2 sends them.
  if (typeof raw === 'bigint') return bigNumberReply(raw, binary);
  // Only when the mapping was bypassed (node-redis' own numeric aggregation).
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : doubleReply(raw, binary);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (Array.isArray(raw)) return raw.map((item) => convert(item, binary, kinds, commandName));
  if (raw instanceof Map) {
    const map = new Map<string, Reply>();
    for (const [key, value] of raw) {
      const name = mapKey(key, kinds, commandName);
      map.set(name, convert(value, binary, kinds, commandName));
    }
    return map;
  }
  if (raw instanceof Set) return [...raw].map((item) => convert(item, binary, kinds, commandName));
  // An error inside a reply (an EXEC whose queued command failed): the Reply model has no error
  // values, so the command fails with the first one, as its own error reply would.
  if (raw instanceof ErrorReply) throw replyErrorFor(commandName, raw.message);
  return text(String(raw), binary);
}

/** Turns what node-redis decoded with a {@link ReplyDecoding}'s mapping into a Ferrite {@link Reply}. */
export function normaliseReply(raw: unknown, decoding: ReplyDecoding, options: { binary: boolean; commandName: string }): Reply {
  // The common replies, a string or nothing, need no census of numbers.
  if (Buffer.isBuffer(raw)) return options.binary ? raw : raw.toString('utf8');
  if (raw === null || raw === undefined) return null;
  const kinds = new NumberKinds(raw, decoding.numbers ?? NO_NUMBERS);
  return convert(raw, options.binary, kinds, options.commandName);
}
