import { FerriteValidationError } from '@ferrite/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultCodec, SemanticCodecError } from './codec.js';

describe('default codec', () => {
  it('round-trips every string as the same string, whatever it looks like', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(defaultCodec.decode(defaultCodec.encode(text))).toBe(text);
      }),
    );
    for (const text of ['', 's', 'j{"a":1}', '{"a":1}', '42', 'null']) expect(defaultCodec.decode(defaultCodec.encode(text))).toBe(text);
  });

  it('round-trips JSON values and tags them apart from strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const encoded = defaultCodec.encode(value);
        expect(encoded[0]).toBe(typeof value === 'string' ? 's' : 'j');
        expect(defaultCodec.decode(encoded)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    expect(defaultCodec.encode('42')).toBe('s42');
    expect(defaultCodec.encode(42)).toBe('j42');
  });

  it('refuses values JSON cannot hold, and stored text it did not write', () => {
    expect(() => defaultCodec.encode(undefined)).toThrow(FerriteValidationError);
    expect(() => defaultCodec.encode(() => 1)).toThrow(FerriteValidationError);
    expect(() => defaultCodec.encode(10n)).toThrow(FerriteValidationError);
    expect(() => defaultCodec.decode('plain text')).toThrow(SemanticCodecError);
    expect(() => defaultCodec.decode('')).toThrow(SemanticCodecError);
    expect(() => defaultCodec.decode('j{broken')).toThrow(SemanticCodecError);
  });
});
