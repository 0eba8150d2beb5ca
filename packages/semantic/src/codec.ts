import { FerriteError, FerriteValidationError, type FerriteErrorOptions } from '@ferrite/core';

/** Turns cached values into the string the server stores, and back. */
export interface SemanticCodec<T> {
  /** Turns a value into the text stored on the server. */
  encode(value: T): string;
  /** Throws when the stored text is not something this codec can read. */
  decode(stored: string): T;
}

/** What a `SemanticCodecError` is made with: the namespace and what was wrong, besides the cause. */
export interface SemanticCodecErrorOptions extends FerriteErrorOptions {
  /** The namespace the unreadable value was found in. Cache handles always set it. */
  readonly namespace?: string | undefined;
}

/**
 * A stored value a cache handle's codec cannot read: written by another client or codec (JSON
 * expected, plain text found), or by hand. A handle's `get` throws it; `getOrSet` and
 * `getOrSetStream` treat the value as a miss and overwrite it.
 */
export class SemanticCodecError extends FerriteError {
  static override readonly brand: string = 'SemanticCodecError';
  /** The namespace of the value, when known (always, for errors thrown by a cache handle). */
  readonly namespace: string | undefined;
  /** Why the codec refused the value, without the namespace. */
  readonly detail: string;

  constructor(detail: string, options: SemanticCodecErrorOptions = {}) {
    const where = options.namespace === undefined ? '' : ` in namespace ${JSON.stringify(options.namespace)}`;
    super('PROTOCOL', `cannot decode the cached value${where}: ${detail}`, options);
    this.namespace = options.namespace;
    this.detail = detail;
  }
}

/**
 * The default codec: a string is stored byte for byte as given and any stored value is read as
 * the string it is, so values are shared with every other Ferrite client (the Python thin
 * client's `semantic_set`/`semantic_get`, `ferrite.semantic.set/get`, `redis-cli`). It never
 * fails to decode. Encoding anything but a string is a `FerriteValidationError`: typed values
 * need an explicit codec such as {@link jsonCodec}.
 */
export const textCodec: SemanticCodec<string> = Object.freeze({
  encode(value: string): string {
    if (typeof value !== 'string') {
      throw new FerriteValidationError('value', `expected a string, got ${typeof value} (use a codec such as jsonCodec() for other values)`);
    }
    return value;
  },
  decode: (stored: string): string => stored,
});

const JSON_CODEC: SemanticCodec<unknown> = Object.freeze({
  encode(value: unknown): string {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new FerriteValidationError('value', `cannot be written as JSON (${(error as Error).message})`, { cause: error });
    }
    if (json === undefined) throw new FerriteValidationError('value', `a value of type ${typeof value} cannot be written as JSON`);
    return json;
  },
  decode(stored: string): unknown {
    try {
      return JSON.parse(stored) as unknown;
    } catch (error) {
      throw new SemanticCodecError(`not JSON (${JSON.stringify(stored.slice(0, 40))}${stored.length > 40 ? '…' : ''})`, { cause: error });
    }
  },
});

/**
 * Stores values as plain JSON text (`{ a: 1 }` → `{"a":1}`, `'hi'` → `"hi"`), readable by any
 * client with a JSON parser. Values come back as `JSON.parse` reads them (Dates become strings,
 * `undefined` fields vanish); values JSON cannot hold (`undefined`, functions, BigInt) are
 * rejected with `FerriteValidationError`. A stored value that is not JSON (plain text another
 * client wrote) makes `get` throw `SemanticCodecError`. The type parameter is not checked at run
 * time. Every call returns the same codec, so handles made with it share single flights.
 */
export function jsonCodec<T>(): SemanticCodec<T> {
  return JSON_CODEC as SemanticCodec<T>;
}

const STRING_TAG = 's';
const JSON_TAG = 'j';

/**
 * The format cache handles used by default before `@ferrite/semantic` made plain text the
 * default: a one-character tag, then the payload (`s<text>` for strings, `j<json>` for anything
 * else). Only for reading (and, during a migration, still writing) values stored that way; no
 * other Ferrite client understands it. A value without a known tag throws `SemanticCodecError`.
 */
export const legacyTaggedCodec: SemanticCodec<unknown> = Object.freeze({
  encode(value: unknown): string {
    return typeof value === 'string' ? STRING_TAG + value : JSON_TAG + JSON_CODEC.encode(value);
  },
  decode(stored: string): unknown {
    const tag = stored[0];
    const payload = stored.slice(1);
    if (tag === STRING_TAG) return payload;
    if (tag === JSON_TAG) return JSON_CODEC.decode(payload);
    throw new SemanticCodecError(`unknown tag ${JSON.stringify(tag ?? '')}: not written in the legacy tagged format`);
  },
});
