import { FerriteError, FerriteValidationError, type FerriteErrorOptions } from '@ferrite/core';

/** Turns cached values into the string the server stores, and back. */
export interface SemanticCodec<T> {
  /** Turns a value into the text stored on the server. */
  encode(value: T): string;
  /** Throws when the stored text is not something this codec wrote. */
  decode(stored: string): T;
}

/** A stored value this handle's codec cannot read (written by another codec, or by hand). */
export class SemanticCodecError extends FerriteError {
  static override readonly brand: string = 'SemanticCodecError';

  constructor(message: string, options?: FerriteErrorOptions) {
    super('PROTOCOL', `cannot decode the cached value: ${message}`, options);
  }
}

const STRING_TAG = 's';
const JSON_TAG = 'j';

/**
 * The default codec. The stored form is a one-character tag, then the payload:
 *
 * - `s<text>`: a string, stored as is (`"hello"` → `shello`, `""` → `s`), so every string,
 *   JSON-looking or not, comes back as the same string;
 * - `j<json>`: anything else, as `JSON.stringify` writes it (`{ "a": 1 }` → `j{"a":1}`), so it
 *   comes back as `JSON.parse` reads it (Dates become strings, `undefined` fields vanish).
 *
 * Values JSON cannot represent (`undefined`, functions, symbols, BigInt) are rejected with a
 * `FerriteValidationError` before anything is stored.
 */
export const defaultCodec: SemanticCodec<unknown> = Object.freeze({
  encode(value: unknown): string {
    if (typeof value === 'string') return STRING_TAG + value;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new FerriteValidationError('value', `cannot be written as JSON (${(error as Error).message})`, { cause: error });
    }
    if (json === undefined) throw new FerriteValidationError('value', `a value of type ${typeof value} cannot be written as JSON`);
    return JSON_TAG + json;
  },
  decode(stored: string): unknown {
    const tag = stored[0];
    const payload = stored.slice(1);
    if (tag === STRING_TAG) return payload;
    if (tag === JSON_TAG) {
      try {
        return JSON.parse(payload) as unknown;
      } catch (error) {
        throw new SemanticCodecError('the JSON payload is malformed', { cause: error });
      }
    }
    throw new SemanticCodecError(`unknown tag ${JSON.stringify(tag ?? '')}: not written by the default codec`);
  },
});
