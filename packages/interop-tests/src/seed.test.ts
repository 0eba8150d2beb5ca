import { describe, expect, it } from 'vitest';
import { parseVectorResults, pythonFloatRepr, redisPyArg, structPackFloats, structUnpackFloats } from './seed.js';

describe('the seed port itself', () => {
  it('encodes floats as Python’s repr does', () => {
    const cases: Array<[number, string]> = [
      [0.85, '0.85'], [1, '1.0'], [0, '0.0'], [-2.5, '-2.5'], [1e-7, '1e-07'], [0.0001, '0.0001'], [0.00001, '1e-05'],
      [1e16, '1e+16'], [123456789012345680, '1.2345678901234568e+17'], [1e15, '1000000000000000.0'], [79.9, '79.9'], [1 / 3, '0.3333333333333333'],
    ];
    for (const [value, repr] of cases) expect(pythonFloatRepr(value), String(value)).toBe(repr);
    expect(redisPyArg(384)).toBe('384');
    expect(redisPyArg(0.85)).toBe('0.85');
  });

  it('packs float32 little-endian, as struct.pack does on x86-64', () => {
    // struct.pack("2f", 1.0, -2.0).hex() == '0000803f000000c0'
    expect(structPackFloats([1, -2]).toString('hex')).toBe('0000803f000000c0');
    expect(structUnpackFloats(structPackFloats([0.5, 3]))).toEqual([0.5, 3]);
  });

  it('parses VECTOR.SEARCH replies as _parse_vector_results does', () => {
    expect(parseVectorResults([1, 'a', '0.500000', ['k', 'v'], 'b', '1.000000'])).toEqual([
      { id: 'a', score: 0.5, metadata: { k: 'v' } },
      { id: 'b', score: 1, metadata: {} },
    ]);
    // Without the leading count, and with an odd number of metadata elements (the last is dropped).
    expect(parseVectorResults(['a', '0.25', ['k', 'v', 'stray']])).toEqual([{ id: 'a', score: 0.25, metadata: { k: 'v' } }]);
    expect(parseVectorResults([0])).toEqual([]);
    expect(parseVectorResults(null)).toEqual([]);
    expect(() => parseVectorResults([1, 'a', 'not a number'])).toThrow(/ValueError/);
  });
});
