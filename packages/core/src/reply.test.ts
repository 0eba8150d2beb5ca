import { describe, expect, it } from 'vitest';
import { FerriteProtocolError } from './errors.js';
import {
  readArray,
  readBigInteger,
  readBuffer,
  readFloat,
  readInteger,
  readMap,
  readNullableText,
  readOk,
  readStringRecord,
  readText,
} from './reply.js';

describe('reply readers', () => {
  it('read text from strings, buffers and numbers', () => {
    expect(readText('a')).toBe('a');
    expect(readText(Buffer.from('é'))).toBe('é');
    expect(readText(12)).toBe('12');
    expect(readNullableText(null)).toBeNull();
    expect(() => readText(null)).toThrow(FerriteProtocolError);
    expect(() => readText(['a'])).toThrow('expected a string, got array of 1');
  });

  it('read integers exactly, and refuse to round', () => {
    expect(readInteger(42)).toBe(42);
    expect(readInteger('-7')).toBe(-7);
    expect(readBigInteger(9007199254740993n)).toBe(9007199254740993n);
    expect(readBigInteger('9223372036854775807')).toBe(9223372036854775807n);
    expect(() => readInteger(9007199254740993n)).toThrow(/safe range/);
    expect(() => readInteger('1.5')).toThrow(FerriteProtocolError);
    expect(() => readInteger(1.5)).toThrow(FerriteProtocolError);
  });

  it('read floats from numbers and decimal text, infinities included', () => {
    expect(readFloat('0.850000')).toBe(0.85);
    expect(readFloat(3)).toBe(3);
    expect(readFloat('inf')).toBe(Infinity);
    expect(readFloat('-inf')).toBe(-Infinity);
    expect(() => readFloat('')).toThrow(FerriteProtocolError);
    expect(() => readFloat('abc')).toThrow(FerriteProtocolError);
  });

  it('read buffers', () => {
    expect(readBuffer('ab').equals(Buffer.from('ab'))).toBe(true);
    const buffer = Buffer.from([0, 255]);
    expect(readBuffer(buffer)).toBe(buffer);
    expect(() => readBuffer(1)).toThrow(FerriteProtocolError);
  });

  it('read maps from RESP3 maps and RESP2 flat arrays alike', () => {
    const fromArray = readMap(['name', 'docs', 'dim', 3]);
    const fromMap = readMap(new Map<string, string | number>([['name', 'docs'], ['dim', 3]]));
    expect(fromArray).toEqual(fromMap);
    expect(fromArray.get('dim')).toBe(3);
    expect(() => readMap(['odd'])).toThrow(/odd length/);
    expect(() => readMap('x')).toThrow(FerriteProtocolError);
  });

  it('read string records without a prototype, so __proto__ is data', () => {
    const record = readStringRecord(['__proto__', 'x', 'price', 10]);
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(record['__proto__']).toBe('x');
    expect(record['price']).toBe('10');
  });

  it('read arrays and OK', () => {
    expect(readArray([1, null])).toEqual([1, null]);
    expect(() => readArray(null)).toThrow(FerriteProtocolError);
    expect(readOk('OK')).toBe('OK');
    expect(() => readOk('QUEUED')).toThrow(FerriteProtocolError);
  });
});
