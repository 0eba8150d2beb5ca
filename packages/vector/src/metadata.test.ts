import { describe, expect, it } from 'vitest';
import { decodeMetadataFields, encodeMetadata } from './metadata.js';

describe('encodeMetadata', () => {
  it('sends numbers as String(n) and booleans as true/false, skipping undefined', () => {
    expect(encodeMetadata({ s: '', n: -0, e: 2e-9, t: true, f: false, u: undefined })).toEqual(['s', '', 'n', '0', 'e', '2e-9', 't', 'true', 'f', 'false']);
    expect(encodeMetadata(undefined)).toEqual([]);
  });
});

describe('decodeMetadataFields', () => {
  const decode = decodeMetadataFields<{ price: number; inStock: boolean; name: string }>({ price: 'number', inStock: 'boolean' });

  it('turns the listed fields back into numbers and booleans and keeps the rest as text', () => {
    expect(decode({ price: '9.5', inStock: 'true', name: 'x', extra: 'y' })).toEqual({ price: 9.5, inStock: true, name: 'x', extra: 'y' });
    expect(decode({ inStock: 'yes' })).toEqual({ inStock: false });
  });

  it('gives NaN for a number field that is not a number, blank included', () => {
    expect(decode({ price: 'abc' }).price).toBeNaN();
    expect(decode({ price: '' }).price).toBeNaN();
  });

  it('rejects an unknown field type', () => {
    expect(() => decodeMetadataFields({ price: 'float' } as never)).toThrow(/'string', 'number' or 'boolean'/);
  });
});
