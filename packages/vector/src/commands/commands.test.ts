import { FerriteProtocolError, FerriteValidationError, prepareCommand } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { addCommand } from './add.js';
import { createIndexCommand } from './create-index.js';
import { deleteCommand } from './delete.js';
import { dropIndexCommand } from './drop-index.js';
import { decodeStoredVector, getCommand } from './get.js';
import { decodeIndexInfo } from './index-info.js';
import { listIndexesCommand } from './list-indexes.js';

const blob = (...values: number[]) => Buffer.from(new Float32Array(values).buffer);
const argsOf = (prepared: { wire: { args: readonly unknown[] } }) => prepared.wire.args;

describe('createIndexCommand', () => {
  it('sends DIM and only the options given', () => {
    expect(argsOf(prepareCommand(createIndexCommand, 'docs', { dim: 384 }))).toEqual(['docs', 'DIM', '384']);
    expect(
      argsOf(prepareCommand(createIndexCommand, 'docs', { dim: 3, distance: 'L2', type: 'IVF', m: 8, efConstruction: 100, nlist: 4 })),
    ).toEqual(['docs', 'DIM', '3', 'DISTANCE', 'L2', 'TYPE', 'IVF', 'M', '8', 'EF_CONSTRUCTION', '100', 'NLIST', '4']);
  });

  it.each([
    [{ dim: 0 }, /invalid dim/],
    [{ dim: 32769 }, /invalid dim/],
    [{ dim: 1.5 }, /invalid dim/],
    [{ dim: 3, distance: 'cosine' }, /invalid distance: expected COSINE, L2, IP/],
    [{ dim: 3, type: 'ANNOY' }, /invalid type/],
    [{ dim: 3, m: 0 }, /invalid m/],
    [{ dim: 3, nlist: -2 }, /invalid nlist/],
    [{ dim: 3, efConstruction: 2.5 }, /invalid efConstruction/],
  ])('rejects %o', (options, message) => {
    expect(() => prepareCommand(createIndexCommand, 'docs', options as never)).toThrow(message);
  });

  it.each(['', 'a\rb', 'a\nb', 'a\0b'])('rejects the index name %j', (name) => {
    expect(() => prepareCommand(createIndexCommand, name, { dim: 3 })).toThrow(FerriteValidationError);
  });
});

describe('addCommand', () => {
  it('sends the blob and metadata as text', () => {
    const args = argsOf(prepareCommand(addCommand, 'idx', 'doc:1', [0.5, -1], { tag: "it's", price: 9.5, big: 1e21, ok: true, no: false, skipped: undefined }));
    expect(args).toEqual(['idx', 'doc:1', blob(0.5, -1), 'tag', "it's", 'price', '9.5', 'big', '1e+21', 'ok', 'true', 'no', 'false']);
  });

  it('is retryable (insert or replace) and routed by the index', () => {
    const prepared = prepareCommand(addCommand, 'idx', 'a', [1]);
    expect(prepared.definition.retryable).toBe(true);
    expect(prepared.wire.routingKey).toBe('idx');
  });

  it.each([
    [['idx', '', [1]], /invalid id: must not be empty/],
    [['idx', 'a\0', [1]], /invalid id: must not contain NUL/],
    [['idx', 'a', []], /invalid vector: must not be empty/],
    [['idx', 'a', [1, Number.NaN]], /invalid vector: element 1 is NaN/],
    [['idx', 'a', [1e39]], /invalid vector: element 0 is Infinity/],
    [['idx', 'a', [1, 2], undefined, { dimension: 3 }], /invalid vector: dimension mismatch: expected 3, got 2/],
    [['idx', 'a', [1], { price: Number.NaN }], /invalid metadata field "price": expected a finite number/],
    [['idx', 'a', [1], { nested: { a: 1 } }], /invalid metadata field "nested": expected a string, a number or a boolean, got object/],
    [['idx', 'a', [1], { n: null }], /got null/],
    [['idx', 'a', [1], { 'a\nb': 'x' }], /invalid metadata field name: must not contain LF/],
    [['idx', 'a', [1], ['x']], /invalid metadata: expected a plain object, got an array/],
  ])('rejects %j', (args, message) => {
    expect(() => prepareCommand(addCommand, ...(args as Parameters<typeof addCommand.encode>))).toThrow(message);
  });
});

describe('getCommand / decodeStoredVector', () => {
  it('asks for a binary reply', () => {
    expect(prepareCommand(getCommand, 'idx', 'a').wire.binary).toBe(true);
  });

  it('reads null as absent', () => {
    expect(decodeStoredVector(null)).toBeNull();
  });

  it('reads the blob into a new Float32Array and the metadata as text', () => {
    const stored = decodeStoredVector([blob(1, 2.5), [Buffer.from('k'), Buffer.from('v')]]);
    expect(stored?.vector).toEqual(new Float32Array([1, 2.5]));
    expect(stored?.metadata).toEqual({ k: 'v' });
    expect(decodeStoredVector([blob(1), []])?.metadata).toEqual({});
  });

  it('rejects malformed replies', () => {
    expect(() => decodeStoredVector([blob(1)])).toThrow(FerriteProtocolError);
    expect(() => decodeStoredVector([Buffer.alloc(3), []])).toThrow(/not a multiple of 4/);
  });
});

describe('decodeIndexInfo', () => {
  const fields = ['name', 'docs', 'dim', 3, 'distance', 'COSINE', 'type', 'HNSW', 'size', 2, 'm', 16, 'ef_construction', 200, 'nlist', 100];
  const expected = { name: 'docs', dim: 3, distance: 'COSINE', type: 'HNSW', size: 2, m: 16, efConstruction: 200, nlist: 100 };

  it('reads the RESP2 flat array and the RESP3 map alike', () => {
    expect(decodeIndexInfo(fields)).toEqual(expected);
    const map = new Map<string, string | number>();
    for (let i = 0; i < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string | number);
    expect(decodeIndexInfo(map)).toEqual(expected);
  });

  it('ignores fields a newer server adds, and rejects a missing one', () => {
    expect(decodeIndexInfo([...fields, 'memory', 1234])).toEqual(expected);
    expect(() => decodeIndexInfo(fields.slice(2))).toThrow(/no "name" field/);
    expect(() => decodeIndexInfo(fields.map((f) => (f === 'COSINE' ? 'HAMMING' : f)))).toThrow(/unknown distance/);
  });
});

describe('deleteCommand, dropIndexCommand, listIndexesCommand', () => {
  it('encodes ids and needs at least one', () => {
    expect(argsOf(prepareCommand(deleteCommand, 'idx', 'a', 'b'))).toEqual(['idx', 'a', 'b']);
    expect(() => prepareCommand(deleteCommand, 'idx')).toThrow(/at least one id/);
    expect(() => prepareCommand(deleteCommand, 'idx', 'a', '')).toThrow(/invalid ids\[1\]/);
    expect(deleteCommand.decode(2, { protocol: 2 })).toBe(2);
  });

  it('drops by name and lists without a routing key', () => {
    expect(argsOf(prepareCommand(dropIndexCommand, 'idx'))).toEqual(['idx']);
    const list = prepareCommand(listIndexesCommand);
    expect(list.wire.routingKey).toBeNull();
    expect(listIndexesCommand.decode(['a', Buffer.from('b')], { protocol: 3 })).toEqual(['a', 'b']);
  });
});
