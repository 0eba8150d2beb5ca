import { FerriteValidationError } from '@ferrite/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonCodec, legacyTaggedCodec, SemanticCodecError, textCodec } from './codec.js';

describe('textCodec (the default)', () => {
  it('stores every string byte for byte and reads any stored text as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(textCodec.encode(text)).toBe(text);
        expect(textCodec.decode(text)).toBe(text);
      }),
    );
    // Values another client wrote, including the old tagged format, come back unchanged.
    for (const stored of ['', 'sFerrite!', 'j{"a":1}', '{"a":1}', '42', 'null']) expect(textCodec.decode(stored)).toBe(stored);
  });

  it('refuses to store anything but a string', () => {
    expect(() => textCodec.encode(42 as unknown as string)).toThrow(FerriteValidationError);
    expect(() => textCodec.encode({ a: 1 } as unknown as string)).toThrow(/jsonCodec/);
  });
});

describe('jsonCodec', () => {
  const codec = jsonCodec<unknown>();

  it('stores plain JSON text and reads it back as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const encoded = codec.encode(value);
        expect(encoded).toBe(JSON.stringify(value));
        expect(codec.decode(encoded)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    expect(codec.encode({ a: 1 })).toBe('{"a":1}');
    expect(codec.encode('hi')).toBe('"hi"');
  });

  it('is one codec whatever the type parameter, so its handles share single flights', () => {
    expect(jsonCodec<{ a: number }>()).toBe(jsonCodec<string>());
  });

  it('refuses values JSON cannot hold, and stored text that is not JSON', () => {
    expect(() => codec.encode(undefined)).toThrow(FerriteValidationError);
    expect(() => codec.encode(() => 1)).toThrow(FerriteValidationError);
    expect(() => codec.encode(10n)).toThrow(FerriteValidationError);
    for (const stored of ['Ferrite is a Redis-compatible server', '', '{broken']) {
      expect(() => codec.decode(stored)).toThrow(SemanticCodecError);
    }
  });
});

describe('legacyTaggedCodec', () => {
  it('reads and writes the old tagged format', () => {
    expect(legacyTaggedCodec.encode('Ferrite!')).toBe('sFerrite!');
    expect(legacyTaggedCodec.encode({ a: 1 })).toBe('j{"a":1}');
    expect(legacyTaggedCodec.decode('sFerrite!')).toBe('Ferrite!');
    expect(legacyTaggedCodec.decode('s')).toBe('');
    expect(legacyTaggedCodec.decode('j{"a":1}')).toEqual({ a: 1 });
    expect(() => legacyTaggedCodec.decode('plain text')).toThrow(SemanticCodecError);
    expect(() => legacyTaggedCodec.decode('j{broken')).toThrow(SemanticCodecError);
  });
});

describe('SemanticCodecError', () => {
  it('names the namespace when it knows it', () => {
    const error = new SemanticCodecError('not JSON', { namespace: 'llm' });
    expect(error.message).toBe('cannot decode the cached value in namespace "llm": not JSON');
    expect(error.namespace).toBe('llm');
    expect(error.detail).toBe('not JSON');
    expect(new SemanticCodecError('x').message).toBe('cannot decode the cached value: x');
  });
});
