import { describe, expect, it } from 'vitest';
import { FerriteValidationError } from './errors.js';
import { decodeVector, encodeVector } from './vector-codec.js';

describe('vector codec', () => {
  it('encodes float32 little-endian with no header', () => {
    const blob = encodeVector([1, -2.5, 0.1]);
    expect(blob.length).toBe(12);
    expect(blob.readFloatLE(0)).toBe(1);
    expect(blob.readFloatLE(4)).toBe(-2.5);
    expect(blob.readFloatLE(8)).toBe(Math.fround(0.1));
    expect(blob.subarray(0, 4).equals(Buffer.from([0x00, 0x00, 0x80, 0x3f]))).toBe(true);
  });

  it('sends a Float32Array without copying it', () => {
    const backing = new Float32Array([9, 1, 2, 3]);
    const view = backing.subarray(1);
    const blob = encodeVector(view);
    expect(blob.buffer).toBe(backing.buffer);
    expect(blob.byteOffset).toBe(4);
    expect(decodeVector(blob)).toEqual(new Float32Array([1, 2, 3]));
  });

  it('accepts Float64Array and plain arrays', () => {
    expect(decodeVector(encodeVector(new Float64Array([0.5, 2])))).toEqual(new Float32Array([0.5, 2]));
  });

  it.each([
    ['empty', [], /must not be empty/],
    ['NaN', [1, Number.NaN], /element 1 is NaN/],
    ['infinite', [Infinity], /element 0 is Infinity/],
    ['finite float64 that overflows float32', [1e39], /element 0 is Infinity once stored as float32/],
    ['non-number element', [1, '2' as unknown as number], /element 1 is not a number/],
  ])('rejects a vector that is %s', (_, vector, message) => {
    expect(() => encodeVector(vector)).toThrow(FerriteValidationError);
    expect(() => encodeVector(vector)).toThrow(message);
  });

  it('rejects the wrong dimension and non-vectors', () => {
    expect(() => encodeVector([1, 2], { dimension: 3 })).toThrow('invalid vector: dimension mismatch: expected 3, got 2');
    expect(() => encodeVector([1], { field: 'query', dimension: 2 })).toThrow(/^invalid query:/);
    expect(() => encodeVector('1,2' as unknown as number[])).toThrow(FerriteValidationError);
  });

  it('decodes into a fresh, aligned array and rejects ragged blobs', () => {
    const source = Buffer.alloc(13);
    source.writeFloatLE(1.5, 1);
    source.writeFloatLE(-3, 5);
    source.writeFloatLE(7, 9);
    const decoded = decodeVector(source.subarray(1));
    expect(decoded).toEqual(new Float32Array([1.5, -3, 7]));
    source.writeFloatLE(0, 1);
    expect(decoded[0]).toBe(1.5);
    expect(() => decodeVector(Buffer.alloc(5))).toThrow(/not a multiple of 4/);
  });
});
