import { FerriteProtocolError, FerriteValidationError, prepareCommand } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { decodeSearchReply, searchCommand } from './search.js';

const blob = (...values: number[]) => Buffer.from(new Float32Array(values).buffer);

describe('decodeSearchReply', () => {
  it('reads the leading count, hits with metadata and hits without (mixed strides)', () => {
    const hits = decodeSearchReply([3, 'a', '0.000000', ['color', 'red', 'size', '9'], 'b', '0.250000', 'c', '1.500000', ['k', 'v']]);
    expect(hits).toEqual([
      { id: 'a', score: 0, metadata: { color: 'red', size: '9' } },
      { id: 'b', score: 0.25, metadata: {} },
      { id: 'c', score: 1.5, metadata: { k: 'v' } },
    ]);
  });

  it('reads a reply without the leading count', () => {
    expect(decodeSearchReply(['x', '0.100000', 'y', '0.200000', ['a', 'b']])).toEqual([
      { id: 'x', score: 0.1, metadata: {} },
      { id: 'y', score: 0.2, metadata: { a: 'b' } },
    ]);
  });

  it('reads ids that look like numbers as ids, and a count given as bigint', () => {
    expect(decodeSearchReply([1n, '42', '0.5'])).toEqual([{ id: '42', score: 0.5, metadata: {} }]);
  });

  it('reads the empty replies *1 :0 and *0', () => {
    expect(decodeSearchReply([0])).toEqual([]);
    expect(decodeSearchReply([])).toEqual([]);
  });

  it('accepts metadata sent as a RESP3 map and binary strings', () => {
    const hits = decodeSearchReply([1, Buffer.from('id-1'), Buffer.from('-3.000000'), new Map([['__proto__', 'x']])]);
    expect(hits[0]?.id).toBe('id-1');
    expect(hits[0]?.score).toBe(-3);
    expect(Object.getPrototypeOf(hits[0]?.metadata)).toBe(null);
    expect(hits[0]?.metadata['__proto__']).toBe('x');
  });

  it('reads scores sent as RESP3 doubles (numbers)', () => {
    expect(decodeSearchReply([1, 'a', 0.75])[0]?.score).toBe(0.75);
  });

  it('rejects a hit without a score and a non-array reply', () => {
    expect(() => decodeSearchReply([1, 'a'])).toThrow(FerriteProtocolError);
    expect(() => decodeSearchReply('OK')).toThrow(FerriteProtocolError);
    expect(() => decodeSearchReply([1, 'a', 'not a number'])).toThrow(FerriteProtocolError);
  });
});

describe('searchCommand.encode', () => {
  it('encodes the blob, TOP_K and FILTER', () => {
    const prepared = prepareCommand(searchCommand, 'idx', [1, 2], { topK: 3, filter: "a = 'b'" });
    expect(prepared.wire.name).toBe('VECTOR.SEARCH');
    expect(prepared.wire.args).toEqual(['idx', blob(1, 2), 'TOP_K', '3', 'FILTER', "a = 'b'"]);
    expect(prepared.wire.routingKey).toBe('idx');
    expect(prepared.wire.readonly).toBe(true);
  });

  it('leaves TOP_K and FILTER out when not given', () => {
    expect(prepareCommand(searchCommand, 'idx', new Float32Array([1])).wire.args).toEqual(['idx', blob(1)]);
  });

  it.each([0, 10001, 1.5, Number.NaN, -1])('rejects topK %s', (topK) => {
    expect(() => prepareCommand(searchCommand, 'idx', [1], { topK })).toThrow(/invalid topK/);
  });

  it('accepts topK at both bounds', () => {
    expect(() => prepareCommand(searchCommand, 'idx', [1], { topK: 1 })).not.toThrow();
    expect(() => prepareCommand(searchCommand, 'idx', [1], { topK: 10000 })).not.toThrow();
  });

  it('rejects a query of the wrong known dimension, empty, or non-finite', () => {
    expect(() => prepareCommand(searchCommand, 'idx', [1, 2], { dimension: 3 })).toThrow(/invalid query: dimension mismatch: expected 3, got 2/);
    expect(() => prepareCommand(searchCommand, 'idx', [])).toThrow(/invalid query: must not be empty/);
    expect(() => prepareCommand(searchCommand, 'idx', [1, Number.POSITIVE_INFINITY])).toThrow(/invalid query: element 1/);
  });

  it('rejects an empty filter and a bad index name', () => {
    expect(() => prepareCommand(searchCommand, 'idx', [1], { filter: '  ' })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(searchCommand, 'a\nb', [1])).toThrow(/invalid index name: must not contain LF/);
  });
});
