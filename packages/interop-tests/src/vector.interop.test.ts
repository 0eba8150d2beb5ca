/**
 * Vector interop: the Python thin client (ported in `seed.ts`) and `@ferrite/vector` read each
 * other's data as the same values, on every transport in RESP2 and RESP3.
 *
 * Wire-format review (seed vs SDK):
 * - Blobs: the seed packs `struct.pack(f"{n}f")` (native order and size: little-endian float32 on
 *   x86-64/arm64, but big-endian on s390x, where its blobs would break PROTOCOL.md §1); the SDK
 *   always writes little-endian float32. Same bytes on every host the seed runs on: checked below
 *   byte for byte with `VECTOR.GET`.
 * - Index creation: the seed always sends `DISTANCE` and `TYPE` (`COSINE`/`HNSW` by default) and
 *   upper-cases its kwargs (`m=32` → `M 32`); the SDK sends them only when given, and the server's
 *   defaults are the same, so `ensureIndex(name, { dim })` accepts an index the seed created.
 * - Metadata pairs: both send `field value` pairs after the blob. The SDK writes numbers as
 *   JavaScript's `String(n)` and booleans as `true`/`false`; Python would write `str(x)`, which
 *   differs for some numbers (`1e-05` vs `0.00001`, `1.0` vs `1`) and booleans (`True`). Filters
 *   compare numbers numerically, so filtering agrees; the stored text differs. Pass strings when
 *   the exact text matters to another client.
 * - `VECTOR.SEARCH` replies: `[count, id, score, [pairs]?, …]`, the pairs only for hits with
 *   metadata. The seed's `_parse_vector_results` and the SDK's decoder walk it by shape and agree
 *   on every mix of hits with and without metadata (checked below). Scores are distances (lower
 *   is closer) in both.
 * - `VECTOR.DEL` takes one key in the seed, several in the SDK; the reply (count) is the same.
 */
import { createFerrite, type FerriteClient, type Reply } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import { vector, type SearchHit } from '@ferrite/vector';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeedClient, structPackFloats, structUnpackFloats, type VectorSearchResult } from './seed.js';

type Client = FerriteClient<readonly [ReturnType<typeof vector>]>;

let counter = 0;
const unique = (prefix: string) => `interop:${prefix}:${++counter}`;

/** Values float32 cannot hold exactly, so a wrong width or byte order would show. */
const SHOES = [0.1, 0.2, 0.3];
const JACKET = [-0.7, 0.25, 1e-3];
const HAT = [0.3, -0.1, 0.9];

const plain = (hits: readonly (SearchHit | VectorSearchResult)[]) => hits.map((h) => ({ id: h.id, score: h.score, metadata: { ...h.metadata } }));
const float32 = (values: readonly number[]) => Array.from(Float32Array.from(values));

describeEachTransport('vector interop with the Python thin client', (harness) => {
  let ferrite: Client;
  let seed: SeedClient;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [vector()] });
    seed = new SeedClient((name, ...args) => ferrite.send(name, ...args));
  });

  describe('seed writes, SDK reads', () => {
    it('an index the seed creates is the index the SDK expects', async () => {
      const index = unique('created-by-seed');
      expect(await seed.vector_create(index, 3, 'COSINE', 'HNSW', { m: 32, ef_construction: 100 })).toBe('OK');
      expect(seed.lastSent).toEqual(['VECTOR.INDEX.CREATE', index, 'DIM', '3', 'DISTANCE', 'COSINE', 'TYPE', 'HNSW', 'M', '32', 'EF_CONSTRUCTION', '100']);
      expect(await ferrite.vector.info(index)).toMatchObject({ name: index, dim: 3, distance: 'COSINE', type: 'HNSW', m: 32, efConstruction: 100, size: 0 });
      expect(await ferrite.vector.ensureIndex(index, { dim: 3 })).toEqual({ created: false });
    });

    it('reads the seed’s little-endian float32 blobs and metadata pairs as written', async () => {
      const index = unique('seed-vectors');
      await seed.vector_create(index, 3);
      await seed.vector_add(index, 'sku:1001', SHOES, { name: 'Red running shoes', category: 'footwear', price: 79.9 });
      expect(seed.lastSent).toEqual(['VECTOR.ADD', index, 'sku:1001', '<blob 12 bytes>', 'name', 'Red running shoes', 'category', 'footwear', 'price', '79.9']);
      await seed.vector_add(index, 'sku:1002', JACKET);
      await seed.vector_add(index, 'sku:1003', HAT, { name: 'Ünïcødé hat ✓ = a, b', category: 'hats' });

      const stored = await ferrite.vector.get(index, 'sku:1001');
      expect(Array.from(stored!.vector)).toEqual(float32(SHOES));
      expect({ ...stored!.metadata }).toEqual({ name: 'Red running shoes', category: 'footwear', price: '79.9' });
      expect(await ferrite.vector.get(index, 'sku:1002')).toMatchObject({ vector: Float32Array.from(JACKET) });
      expect({ ...(await ferrite.vector.get(index, 'sku:1002'))!.metadata }).toEqual({});
      expect({ ...(await ferrite.vector.get(index, 'sku:1003'))!.metadata }).toEqual({ name: 'Ünïcødé hat ✓ = a, b', category: 'hats' });

      const hits = await ferrite.vector.search(index, SHOES, { topK: 10 });
      expect(hits.map((h) => h.id)).toEqual(['sku:1001', 'sku:1003', 'sku:1002']);
      expect(hits[0]!.score).toBe(0);
      expect(plain(hits)).toEqual(plain(await seed.vector_search(index, SHOES, 10)));
      const typed = ferrite.vector.index<{ category: string; price: number }>(index, { fields: { price: 'number' } });
      expect((await typed.search(SHOES, { topK: 1 }))[0]!.metadata).toEqual({ name: 'Red running shoes', category: 'footwear', price: 79.9 });
    });

    it('filters the seed’s metadata, numbers included, as the seed’s FILTER does', async () => {
      const index = unique('seed-filter');
      await seed.vector_create(index, 3);
      await seed.vector_add(index, 'a', SHOES, { category: 'footwear', price: 79.9 });
      await seed.vector_add(index, 'b', HAT, { category: 'footwear', price: 120 });
      await seed.vector_add(index, 'c', JACKET, { category: 'outerwear', price: 60 });
      const expression = "category = 'footwear' AND price < 100";
      const fromSeed = await seed.vector_search(index, SHOES, 5, expression);
      expect(seed.lastSent).toEqual(['VECTOR.SEARCH', index, '<blob 12 bytes>', 'TOP_K', '5', 'FILTER', expression]);
      expect(fromSeed.map((r) => r.id)).toEqual(['a']);
      expect(plain(await ferrite.vector.search(index, SHOES, { topK: 5, filter: (f) => f.eq('category', 'footwear').and(f.lt('price', 100)) }))).toEqual(
        plain(fromSeed),
      );
      expect(plain(await ferrite.vector.search(index, SHOES, { topK: 5, filter: expression }))).toEqual(plain(fromSeed));
    });

    it('sees the seed’s deletes and drops', async () => {
      const index = unique('seed-delete');
      await seed.vector_create(index, 3);
      await seed.vector_add(index, 'gone', SHOES);
      await seed.vector_add(index, 'kept', HAT);
      expect(await seed.vector_delete(index, 'gone')).toBe(1);
      expect(await ferrite.vector.get(index, 'gone')).toBeNull();
      expect((await ferrite.vector.search(index, SHOES)).map((h) => h.id)).toEqual(['kept']);
      expect(await seed.vector_index_drop(index)).toBe('OK');
      expect(await ferrite.vector.list()).not.toContain(index);
    });
  });

  describe('SDK writes, seed reads', () => {
    it('stores exactly the bytes struct.pack would, and the seed finds them at distance 0', async () => {
      const index = unique('sdk-vectors');
      expect(await ferrite.vector.ensureIndex(index, { dim: 3 })).toEqual({ created: true });
      await ferrite.vector.add(index, 'from-array', SHOES);
      await ferrite.vector.add(index, 'from-float32', Float32Array.from(JACKET));
      await ferrite.vector.add(index, 'from-float64', Float64Array.from(HAT));
      for (const [id, values] of [['from-array', SHOES], ['from-float32', JACKET], ['from-float64', HAT]] as const) {
        const [blob] = (await ferrite.sendBuffer('VECTOR.GET', index, id)) as [Buffer, Reply];
        expect(blob.equals(structPackFloats(values)), id).toBe(true);
        expect(structUnpackFloats(blob)).toEqual(float32(values));
        const [closest] = await seed.vector_search(index, values, 1);
        expect(closest).toMatchObject({ id, score: 0 });
      }
    });

    it('metadata the SDK writes reaches the seed as text pairs, and both parsers agree on every hit', async () => {
      const index = unique('sdk-metadata');
      await ferrite.vector.createIndex(index, { dim: 3, distance: 'L2' });
      await ferrite.vector.add(index, 'sku:1', SHOES, { name: 'Red running shoes', price: 80, onSale: true, ratio: 0.25 });
      await ferrite.vector.add(index, 'sku:2', JACKET); // no metadata: the reply has no pairs for this hit
      await ferrite.vector.add(index, 'sku:3', HAT, { name: 'naïve ✓' });
      await ferrite.vector.addMany(index, [{ id: 'sku:4', vector: [0, 0, 1], metadata: { category: 'bulk' } }, { id: 'sku:5', vector: [1, 0, 0] }]);

      const fromSeed = await seed.vector_search(index, SHOES, 10);
      expect(fromSeed.map((r) => r.id).sort()).toEqual(['sku:1', 'sku:2', 'sku:3', 'sku:4', 'sku:5']);
      expect(fromSeed.find((r) => r.id === 'sku:1')!.metadata).toEqual({ name: 'Red running shoes', price: '80', onSale: 'true', ratio: '0.25' });
      expect(fromSeed.find((r) => r.id === 'sku:2')!.metadata).toEqual({});
      expect(plain(await ferrite.vector.search(index, SHOES, { topK: 10 }))).toEqual(plain(fromSeed));
      expect((await seed.vector_search(index, SHOES, 10, 'onSale = \'true\' AND price >= 80')).map((r) => r.id)).toEqual(['sku:1']);
    });

    it('the seed deletes and drops what the SDK made', async () => {
      const index = unique('sdk-delete');
      await ferrite.vector.createIndex(index, { dim: 3 });
      await ferrite.vector.add(index, 'one', SHOES);
      expect(await seed.vector_delete(index, 'one')).toBe(1);
      expect(await seed.vector_search(index, SHOES)).toEqual([]);
      expect(await seed.vector_index_drop(index)).toBe('OK');
      await expect(ferrite.vector.info(index)).rejects.toThrow(/unknown index/i);
    });
  });
});
