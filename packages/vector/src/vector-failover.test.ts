import { createFerrite } from '@ferrite/core';
import { describeEachClusterFailover } from '@ferrite/test-transports';
import { expect } from 'vitest';
import { vector } from './plugin.js';

interface Product {
  category: 'shoes' | 'hats';
  price: number;
}

/**
 * The plugin's core operations, then a failover of the primary that owns the index, then the same
 * operations: the promoted replica serves the same index with the same vectors, reads give the
 * same answers, writes land, and once the transport has followed the one redirect, no more `MOVED`.
 */
describeEachClusterFailover('vector', async ({ transport, tag, readThroughFailover }) => {
  const ferrite = createFerrite({ transport, plugins: [vector()], timeout: 5000 });
  try {
    const name = `${tag}:products`;
    const products = ferrite.vector.index<Product>(name, { fields: { price: 'number' } });
    expect(await products.ensure({ dim: 4, distance: 'L2' })).toEqual({ created: true });
    const items = Array.from({ length: 24 }, (_, i) => ({
      id: `sku:${i}`,
      vector: [i, 0, 1, 0],
      metadata: { category: i % 2 === 0 ? 'shoes' : 'hats', price: i } satisfies Product,
    }));
    expect(await products.addMany(items, { batchSize: 10 })).toEqual({ added: 24, failed: [] });

    const read = async () => ({
      size: (await products.info()).size,
      one: await products.get('sku:7'),
      hits: (await products.search([7.9, 0, 1, 0], { topK: 3, filter: (f) => f.eq('category', 'hats') })).map(({ id, metadata }) => ({ id, metadata })),
      listed: (await ferrite.vector.list()).includes(name),
    });
    // Read before and after the index's primary fails over: the same reading both times.
    const reading = await readThroughFailover(name, read);
    expect(reading.size).toBe(24);
    expect(reading.one?.metadata).toEqual({ category: 'hats', price: 7 });
    expect(reading.hits.map((hit) => hit.id)).toEqual(['sku:7', 'sku:9', 'sku:5']);
    expect(reading.listed).toBe(true);

    // Writes land on the new primary.
    await products.add('sku:new', [7.9, 0, 1, 0], { category: 'hats', price: 99 });
    expect(await products.delete('sku:9')).toBe(1);
    const hits = await products.search([7.9, 0, 1, 0], { topK: 3, filter: (f) => f.eq('category', 'hats') });
    expect(hits.map((hit) => [hit.id, hit.metadata.price])).toEqual([
      ['sku:new', 99],
      ['sku:7', 7],
      ['sku:5', 5],
    ]);
    expect((await products.info()).size).toBe(24);
  } finally {
    await ferrite.close();
  }
});
