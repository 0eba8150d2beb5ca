import { createFerrite, FerriteValidationError, isReplyError, isValidationError, type FerriteClient } from '@ferrite/core';
import { clusterNodeFor, describeEachTransport, openTransport, transportTargets } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  VectorDimensionMismatchError,
  VectorFilterSyntaxError,
  VectorIndexConflictError,
  VectorIndexExistsError,
  VectorIndexNotFoundError,
} from './errors.js';
import { vector } from './plugin.js';

type Client = FerriteClient<readonly [ReturnType<typeof vector>]>;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

interface Product {
  category: string;
  price: number;
  inStock?: boolean;
}

describeEachTransport('vector', (harness) => {
  let ferrite: Client;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [vector()] });
  });

  describe('indexes', () => {
    it('creates, describes, lists and drops', async () => {
      const name = unique('idx');
      await ferrite.vector.createIndex(name, { dim: 4, distance: 'L2', type: 'FLAT', m: 8, efConstruction: 50, nlist: 7 });
      expect(await ferrite.vector.info(name)).toEqual({
        name,
        dim: 4,
        distance: 'L2',
        type: 'FLAT',
        size: 0,
        m: 8,
        efConstruction: 50,
        nlist: 7,
      });
      expect(await ferrite.vector.list()).toContain(name);
      await ferrite.vector.dropIndex(name);
      expect(await ferrite.vector.list()).not.toContain(name);
      await expect(ferrite.vector.info(name)).rejects.toThrow(VectorIndexNotFoundError);
      await expect(ferrite.vector.dropIndex(name)).rejects.toThrow(`ERR Unknown index: ${name}`);
    });

    it('reports the server defaults', async () => {
      const name = unique('defaults');
      await ferrite.vector.createIndex(name, { dim: 2 });
      expect(await ferrite.vector.info(name)).toMatchObject({ distance: 'COSINE', type: 'HNSW', m: 16, efConstruction: 200, nlist: 100 });
    });

    it('lists names sorted bytewise', async () => {
      const prefix = unique('sorted');
      for (const suffix of ['b', 'B', 'a', 'é']) await ferrite.vector.createIndex(`${prefix}-${suffix}`, { dim: 1 });
      const mine = (await ferrite.vector.list()).filter((n) => n.startsWith(prefix));
      expect(mine).toEqual([`${prefix}-B`, `${prefix}-a`, `${prefix}-b`, `${prefix}-é`]);
    });

    it.runIf(harness.target.cluster)('lists the indexes of every primary, merged and sorted bytewise (cluster)', async () => {
      const prefix = unique('spread');
      const names = Array.from({ length: 12 }, (_, i) => `${prefix}-${i}`);
      for (const name of names) await ferrite.vector.createIndex(name, { dim: 1 });
      const cluster = harness.cluster as NonNullable<typeof harness.cluster>;
      const owners = new Set(await Promise.all(names.map(async (name) => (await clusterNodeFor(cluster, name)).id)));
      // Twelve names over three primaries: the list has to come from more than one node.
      expect(owners.size).toBeGreaterThan(1);
      const listed = (await ferrite.vector.list()).filter((name) => name.startsWith(`${prefix}-`));
      expect(listed).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    });

    it.runIf(harness.target.cluster)('keeps indexes named with one hash tag on one node, and each name on its slot owner (cluster)', async () => {
      const tag = `{${unique('tag')}}`;
      const names = [`${tag}:products`, `${tag}:users`, `${tag}:docs`];
      for (const name of names) await ferrite.vector.createIndex(name, { dim: 2 });
      await ferrite.vector.add(`${tag}:products`, 'p1', [1, 0]);
      const cluster = harness.cluster as NonNullable<typeof harness.cluster>;
      const owner = await clusterNodeFor(cluster, tag);
      const onOwner = await harness.transport.send({ name: 'VECTOR.INDEX.LIST', args: [], routingKey: null }, { node: owner.id });
      expect(onOwner).toEqual(expect.arrayContaining(names));
      for (const other of cluster.nodes.filter((node) => node.role === 'primary' && node.id !== owner.id)) {
        const elsewhere = (await harness.transport.send({ name: 'VECTOR.INDEX.LIST', args: [], routingKey: null }, { node: other.id })) as string[];
        expect(elsewhere.filter((name) => name.startsWith(tag))).toEqual([]);
      }
      expect((await ferrite.vector.search(`${tag}:products`, [1, 0], { topK: 1 }))[0]?.id).toBe('p1');
    });

    it.runIf(harness.target.cluster)('answers correctly while the slot of its index moves (cluster)', async () => {
      const tag = `{${unique('moving')}}`;
      const name = `${tag}:idx`;
      await ferrite.vector.createIndex(name, { dim: 2, distance: 'L2', type: 'FLAT' });
      // More items in the slot, so the move takes several steps (ASK while it runs, then MOVED).
      for (let i = 0; i < 8; i++) await ferrite.vector.createIndex(`${tag}:other-${i}`, { dim: 1 });
      const before = await clusterNodeFor(harness.cluster as NonNullable<typeof harness.cluster>, tag);
      await harness.withSlotMoving(tag, async () => {
        for (let i = 0; i < 40; i++) {
          await ferrite.vector.add(name, `v${i}`, [i, 0]);
          const [hit] = await ferrite.vector.search(name, [i, 0.1], { topK: 1 });
          expect(hit?.id).toBe(`v${i}`);
        }
      }, async () => {
        expect((await clusterNodeFor(harness.cluster as NonNullable<typeof harness.cluster>, tag)).id).not.toBe(before.id);
        expect((await ferrite.vector.info(name)).size).toBe(40);
        expect((await ferrite.vector.list()).filter((listed) => listed.startsWith(tag))).toHaveLength(9);
      });
    });

    it('throws a typed error on a taken name, keeping the server text', async () => {
      const name = unique('taken');
      await ferrite.vector.createIndex(name, { dim: 2 });
      const error = await ferrite.vector.createIndex(name, { dim: 2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorIndexExistsError);
      expect((error as Error).message).toBe(`ERR index already exists: ${name}`);
    });

    it('ensureIndex creates once, and concurrent calls all succeed', async () => {
      const name = unique('ensure');
      const results = await Promise.all(Array.from({ length: 5 }, () => ferrite.vector.ensureIndex(name, { dim: 3, distance: 'IP' })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await ferrite.vector.ensureIndex(name, { dim: 3, distance: 'IP', type: 'IVF' })).toEqual({ created: false });
    });

    it('ensureIndex throws a typed error when dim or distance differ', async () => {
      const name = unique('conflict');
      await ferrite.vector.ensureIndex(name, { dim: 3 });
      const byDim = await ferrite.vector.ensureIndex(name, { dim: 4 }).catch((e: unknown) => e);
      expect(byDim).toBeInstanceOf(VectorIndexConflictError);
      expect(isReplyError(byDim) && !isValidationError(byDim)).toBe(true);
      expect(byDim).toMatchObject({ existing: { dim: 3, distance: 'COSINE' }, requested: { dim: 4, distance: 'COSINE' } });
      await expect(ferrite.vector.ensureIndex(name, { dim: 3, distance: 'L2' })).rejects.toThrow(
        `index "${name}" exists with DIM 3 DISTANCE COSINE, not DIM 3 DISTANCE L2`,
      );
    });

    it('rejects bad names and options before sending', async () => {
      await expect(ferrite.vector.createIndex('', { dim: 2 })).rejects.toThrow('invalid index name: must not be empty');
      await expect(ferrite.vector.createIndex('a\r\nb', { dim: 2 })).rejects.toThrow(/must not contain CR/);
      await expect(ferrite.vector.createIndex(unique('x'), { dim: 0 })).rejects.toThrow(FerriteValidationError);
      await expect(ferrite.vector.search('a\0', [1])).rejects.toThrow(/must not contain NUL/);
    });
  });

  describe('vectors', () => {
    it('adds, gets and replaces with metadata as text', async () => {
      const name = unique('rt');
      await ferrite.vector.createIndex(name, { dim: 3 });
      const id = "doc:1 it's ünïcødé 😀";
      await ferrite.vector.add(name, id, [0.1, -2, 3e10], { title: "it's", price: 9.99, big: 1e21, ok: true, no: false });
      const record = await ferrite.vector.get(name, id);
      expect(record?.id).toBe(id);
      expect(record?.vector).toBeInstanceOf(Float32Array);
      expect(Array.from(record?.vector ?? [])).toEqual(Array.from(new Float32Array([0.1, -2, 3e10])));
      expect(record?.metadata).toEqual({ title: "it's", price: '9.99', big: '1e+21', ok: 'true', no: 'false' });
      await ferrite.vector.add(name, id, new Float32Array([1, 2, 3]), { other: 'x' });
      expect((await ferrite.vector.get(name, id))?.metadata).toEqual({ other: 'x' });
      await ferrite.vector.add(name, id, new Float64Array([1, 2, 3]));
      expect((await ferrite.vector.get(name, id))?.metadata).toEqual({});
      expect(await ferrite.vector.get(name, 'missing')).toBeNull();
    });

    it('deletes and counts what existed', async () => {
      const name = unique('del');
      await ferrite.vector.createIndex(name, { dim: 1 });
      await ferrite.vector.add(name, 'a', [1]);
      await ferrite.vector.add(name, 'b', [2]);
      expect(await ferrite.vector.delete(name, 'a', 'b', 'c')).toBe(2);
      expect(await ferrite.vector.delete(name, 'a')).toBe(0);
      expect(await ferrite.vector.delete(name)).toBe(0);
      await expect(ferrite.vector.delete(unique('nope'), 'a')).rejects.toThrow(VectorIndexNotFoundError);
    });

    it('rejects a vector of the wrong known dimension before sending it', async () => {
      const name = unique('dim');
      await ferrite.vector.createIndex(name, { dim: 3 });
      await expect(ferrite.vector.add(name, 'a', [1, 2])).rejects.toThrow('invalid vector: dimension mismatch: expected 3, got 2');
      await expect(ferrite.vector.search(name, [1, 2, 3, 4])).rejects.toThrow('invalid query: dimension mismatch: expected 3, got 4');
      await expect(ferrite.vector.add(name, 'a', [1, Number.NaN, 3])).rejects.toThrow(/element 1 is NaN/);
      await expect(ferrite.vector.add(name, '', [1, 2, 3])).rejects.toThrow('invalid id: must not be empty');
      expect((await ferrite.vector.info(name)).size).toBe(0);
    });

    it('maps the server dimension error when this client does not know the dimension, then learns it', async () => {
      const name = unique('dim-server');
      await ferrite.vector.createIndex(name, { dim: 3 });
      const other = createFerrite({ transport: harness.transport, plugins: [vector()] });
      const error = await other.vector.add(name, 'a', [1, 2]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorDimensionMismatchError);
      expect(error).toMatchObject({ message: 'ERR dimension mismatch: expected 3, got 2', expected: 3, actual: 2, command: 'VECTOR.ADD' });
      await expect(other.vector.add(name, 'a', [1, 2])).rejects.toThrow(FerriteValidationError);
    });

    it('maps unknown indexes on every command', async () => {
      const name = unique('unknown');
      for (const call of [
        () => ferrite.vector.add(name, 'a', [1]),
        () => ferrite.vector.get(name, 'a'),
        () => ferrite.vector.search(name, [1]),
        () => ferrite.vector.info(name),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VectorIndexNotFoundError);
        expect((error as Error).message).toBe(`ERR Unknown index: ${name}`);
      }
    });
  });

  describe('search', () => {
    const load = async (distance: 'COSINE' | 'L2' | 'IP') => {
      const name = unique(`search-${distance}`);
      await ferrite.vector.createIndex(name, { dim: 2, distance });
      await ferrite.vector.add(name, 'east', [1, 0], { category: 'shoes', price: 50 });
      await ferrite.vector.add(name, 'north', [0, 2], { category: 'hats', price: 150 });
      await ferrite.vector.add(name, 'west', [-3, 0]);
      await ferrite.vector.add(name, 'north-east', [1, 1], { category: "it's", price: 100 });
      return name;
    };

    it('scores COSINE as 1 - cos, closest first, metadata-less hits included', async () => {
      const hits = await ferrite.vector.search(await load('COSINE'), [1, 0]);
      expect(hits.map((h) => [h.id, h.score])).toEqual([
        ['east', 0],
        ['north-east', 0.292893],
        ['north', 1],
        ['west', 2],
      ]);
      expect(hits[3]?.metadata).toEqual({});
      expect(hits[0]?.metadata).toEqual({ category: 'shoes', price: '50' });
    });

    it('scores L2 as the Euclidean distance and IP as the negated dot product', async () => {
      const l2 = await ferrite.vector.search(await load('L2'), [1, 0], { topK: 2 });
      expect(l2.map((h) => [h.id, h.score])).toEqual([
        ['east', 0],
        ['north-east', 1],
      ]);
      const ip = await ferrite.vector.search(await load('IP'), [1, 1]);
      expect(ip.map((h) => [h.id, h.score])).toEqual([
        ['north', -2],
        ['north-east', -2],
        ['east', -1],
        ['west', 3],
      ]);
    });

    it('filters with the builder, a callback, or a raw string', async () => {
      const name = await load('L2');
      const ids = async (filter: Parameters<typeof ferrite.vector.search>[2]) =>
        (await ferrite.vector.search(name, [0, 0], filter)).map((h) => h.id).sort();
      expect(await ids({ filter: (f) => f.eq('category', 'shoes').or(f.gte('price', 150)) })).toEqual(['east', 'north']);
      expect(await ids({ filter: (f) => f.eq('category', "it's") })).toEqual(['north-east']);
      expect(await ids({ filter: (f) => f.not(f.in('category', ['shoes', 'hats'])) })).toEqual(['north-east', 'west']);
      expect(await ids({ filter: (f) => f.ne('category', 'shoes') })).toEqual(['north', 'north-east']);
      expect(await ids({ filter: "price < 100 OR category = 'hats'" })).toEqual(['east', 'north']);
      expect(await ids({ filter: (f) => f.eq('category', "x' OR category != 'y") })).toEqual([]);
      expect(await ids({ filter: (f) => f.eq('category', 'nothing') })).toEqual([]);
    });

    it('rejects (never throws) when a filter cannot be built', async () => {
      const name = await load('COSINE');
      const pending = ferrite.vector.search(name, [1, 0], { filter: (f) => f.eq('no such field', 'x') });
      await expect(pending).rejects.toThrow(/does not match the FILTER field syntax/);
      await expect(ferrite.vector.search(name, [1, 0], { filter: (f) => f.lt('price', Number.NaN) })).rejects.toThrow(FerriteValidationError);
    });

    it('maps a bad raw filter to a typed error with the server text', async () => {
      const name = await load('COSINE');
      const error = await ferrite.vector.search(name, [1, 0], { filter: 'price <' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorFilterSyntaxError);
      expect((error as Error).message).toMatch(/^ERR syntax error in FILTER: /);
    });

    it('validates topK before sending', async () => {
      const name = await load('COSINE');
      await expect(ferrite.vector.search(name, [1, 0], { topK: 0 })).rejects.toThrow('invalid topK: 0 is outside 1 to 10000');
      await expect(ferrite.vector.search(name, [1, 0], { topK: 10001 })).rejects.toThrow(FerriteValidationError);
      expect(await ferrite.vector.search(name, [1, 0], { topK: 10000 })).toHaveLength(4);
    });
  });

  describe('typed handles', () => {
    it('round-trips typed metadata and decodes the declared fields', async () => {
      const products = ferrite.vector.index<Product>(unique('products'), { fields: { price: 'number', inStock: 'boolean' } });
      await products.ensure({ dim: 2, distance: 'L2' });
      await products.add('p1', [0, 0], { category: 'shoes', price: 80, inStock: true });
      await products.add('p2', [1, 0], { category: 'shoes', price: 120 });
      const { added } = await products.addMany([{ id: 'p3', vector: [2, 0], metadata: { category: 'hats', price: 20, inStock: false } }]);
      expect(added).toBe(1);
      expect((await products.get('p1'))?.metadata).toEqual({ category: 'shoes', price: 80, inStock: true });
      const hits = await products.search([0, 0], { filter: (f) => f.eq('category', 'shoes').and(f.lt('price', 100)) });
      expect(hits).toEqual([{ id: 'p1', score: 0, metadata: { category: 'shoes', price: 80, inStock: true } }]);
      const cheap = products.filter.lte('price', 80);
      expect((await products.search([0, 0], { filter: cheap })).map((h) => h.id)).toEqual(['p1', 'p3']);
      expect(await products.delete('p1', 'p2')).toBe(2);
      expect((await products.info()).size).toBe(1);
      await products.drop();
      await expect(products.info()).rejects.toThrow(VectorIndexNotFoundError);
    });
  });

  describe('addMany', () => {
    it('adds an async iterable in batches, reporting progress, and lands bad items in failed', async () => {
      const name = unique('bulk');
      await ferrite.vector.createIndex(name, { dim: 4 });
      async function* items() {
        for (let i = 0; i < 1000; i++) {
          if (i === 10) yield { id: 'short', vector: [1, 2] };
          if (i === 500) yield { id: 'nan', vector: [1, 2, Number.NaN, 4] };
          if (i === 700) yield { id: '', vector: [1, 2, 3, 4] };
          yield { id: `v${i}`, vector: [i, 1, 2, 3], metadata: { n: i } };
        }
      }
      const progress: number[] = [];
      const result = await ferrite.vector.addMany(name, items(), { batchSize: 128, onProgress: (p) => progress.push(p.processed) });
      expect(result.added).toBe(1000);
      expect(result.failed.map((f) => f.id).sort()).toEqual(['', 'nan', 'short']);
      expect(result.failed.every((f) => f.error instanceof FerriteValidationError)).toBe(true);
      expect(progress.at(-1)).toBe(1003);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect((await ferrite.vector.info(name)).size).toBe(1000);
      expect((await ferrite.vector.get(name, 'v999'))?.metadata).toEqual({ n: '999' });
    });

    it('lands server errors for an item in failed (a stale remembered dimension)', async () => {
      const name = unique('stale');
      await ferrite.vector.createIndex(name, { dim: 2 });
      const other = createFerrite({ transport: harness.transport, plugins: [vector()] });
      await other.vector.dropIndex(name);
      await other.vector.createIndex(name, { dim: 3 });
      const result = await ferrite.vector.addMany(name, [
        { id: 'a', vector: [1, 2] },
        { id: 'b', vector: [1, 2] },
      ]);
      expect(result.added).toBe(0);
      expect(result.failed.map((f) => [f.id, f.error instanceof VectorDimensionMismatchError])).toEqual([
        ['a', true],
        ['b', true],
      ]);
      // Learned from the server's error: the next call is validated against the new dimension.
      await ferrite.vector.add(name, 'c', [1, 2, 3]);
    });

    it('rejects an unknown index and a bad batchSize before pulling anything', async () => {
      let pulled = 0;
      function* source() {
        pulled++;
        yield { id: 'a', vector: [1] };
      }
      await expect(ferrite.vector.addMany(unique('none'), source())).rejects.toThrow(VectorIndexNotFoundError);
      const name = unique('bs');
      await ferrite.vector.createIndex(name, { dim: 1 });
      await expect(ferrite.vector.addMany(name, source(), { batchSize: 0 })).rejects.toThrow('invalid batchSize');
      await expect(ferrite.vector.addMany(name, source(), { batchSize: -5 })).rejects.toThrow(FerriteValidationError);
      expect(pulled).toBe(0);
    });
  });
}, { cluster: true });

/** The same calls on one client, as plain data to compare across transports. */
async function identicalSnapshot(ferrite: FerriteClient<readonly [ReturnType<typeof vector>]>): Promise<unknown> {
  const name = 'identical';
  await ferrite.vector.ensureIndex(name, { dim: 3, distance: 'COSINE' });
  await ferrite.vector.addMany(
    name,
    Array.from({ length: 50 }, (_, i) => ({
      id: `id-${i}`,
      vector: [Math.sin(i), Math.cos(i), i / 50],
      metadata: i % 3 === 0 ? undefined : { group: `g${i % 4}`, rank: i, even: i % 2 === 0 },
    })),
    { batchSize: 7 },
  );
  const snapshot = {
    info: await ferrite.vector.info(name),
    all: await ferrite.vector.search(name, [0.3, -0.2, 0.9], { topK: 100 }),
    filtered: await ferrite.vector.search(name, [1, 1, 1], { filter: (f) => f.in('group', ['g1', 'g2']).and(f.gt('rank', 10)) }),
    record: await ferrite.vector.get(name, 'id-7'),
    bare: await ferrite.vector.get(name, 'id-9'),
  };
  expect(snapshot.all).toHaveLength(50);
  return JSON.parse(JSON.stringify({ ...snapshot, record: { ...snapshot.record, vector: Array.from(snapshot.record?.vector ?? []) } }));
}

describe('vector on every transport', () => {
  it('returns identical results everywhere', async () => {
    const snapshots = new Map<string, unknown>();
    for (const target of transportTargets) {
      const opened = await openTransport(target);
      try {
        snapshots.set(target.label, await identicalSnapshot(createFerrite({ transport: opened.transport, plugins: [vector()] })));
      } finally {
        await opened.close();
      }
    }
    expect(snapshots.size).toBe(transportTargets.length);
    expect(new Set(transportTargets.map((target) => target.driver))).toEqual(new Set(['memory', 'ioredis', 'node-redis', 'valkey-glide']));
    const first = snapshots.get(transportTargets[0]!.label);
    for (const [label, snapshot] of snapshots) expect({ label, snapshot }).toEqual({ label, snapshot: first });
  });
});
