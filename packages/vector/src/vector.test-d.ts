import { createFerrite, type Transport } from '@ferrite/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { Filter, FilterBuilder } from './filter/index.js';
import { filterFor } from './filter/builder.js';
import { vector } from './plugin.js';
import type { SearchHit, StoredMetadata, VectorRecord } from './types.js';
import type { VectorIndexInfo } from './commands/index-info.js';

declare const transport: Transport;

interface Product {
  category: 'shoes' | 'hats';
  price: number;
  inStock?: boolean;
  name: string;
}

const ferrite = createFerrite({ transport, plugins: [vector()] });

describe('ferrite.vector', () => {
  it('is added by the plugin with untyped metadata as text', () => {
    expectTypeOf(ferrite.vector.search).returns.resolves.toEqualTypeOf<SearchHit<StoredMetadata>[]>();
    expectTypeOf(ferrite.vector.get).returns.resolves.toEqualTypeOf<VectorRecord<StoredMetadata> | null>();
    expectTypeOf(ferrite.vector.info).returns.resolves.toEqualTypeOf<VectorIndexInfo>();
    expectTypeOf(ferrite.vector.delete).returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(ferrite.vector.list).returns.resolves.toEqualTypeOf<string[]>();
  });

  it('checks options', () => {
    // @ts-expect-error distance is COSINE, L2 or IP
    void ferrite.vector.createIndex('i', { dim: 3, distance: 'cosine' });
    // @ts-expect-error dim is required
    void ferrite.vector.createIndex('i', {});
    // @ts-expect-error metadata values are strings, numbers or booleans
    void ferrite.vector.add('i', 'a', [1], { tags: ['x'] });
    void ferrite.vector.search('i', [1], { topK: 3, filter: (f) => f.eq('anything', 'x').and(f.lt('n', 3)) });
    void ferrite.vector.search('i', [1], { filter: "raw = 'ok'" });
  });
});

describe('typed index handles', () => {
  const products = ferrite.vector.index<Product>('products');

  it('types metadata on the way in', () => {
    void products.add('p1', [1], { category: 'shoes', price: 10, name: 'x' });
    // @ts-expect-error price is a number
    void products.add('p1', [1], { category: 'shoes', price: '10', name: 'x' });
    // @ts-expect-error category is 'shoes' | 'hats'
    void products.add('p1', [1], { category: 'boots', price: 10, name: 'x' });
    void products.addMany([{ id: 'a', vector: [1], metadata: { category: 'hats', price: 1, name: 'y' } }]);
    // @ts-expect-error name is missing
    void products.addMany([{ id: 'a', vector: [1], metadata: { category: 'hats', price: 1 } }]);
  });

  it('reads metadata back as text unless decoded', () => {
    expectTypeOf(products.search).returns.resolves.toEqualTypeOf<
      SearchHit<{ readonly category?: string; readonly price?: string; readonly inStock?: string; readonly name?: string }>[]
    >();
    const decoded = ferrite.vector.index<Product>('products', { fields: { price: 'number', inStock: 'boolean' } });
    expectTypeOf(decoded.get).returns.resolves.toEqualTypeOf<VectorRecord<Partial<Product>> | null>();
    // @ts-expect-error inStock is a boolean field and must be listed
    void ferrite.vector.index<Product>('products', { fields: { price: 'number' } });
    // @ts-expect-error price is a number, not a boolean
    void ferrite.vector.index<Product>('products', { fields: { price: 'boolean', inStock: 'boolean' } });
    const exact = ferrite.vector.index<Product, Product>('products', { decode: (stored) => JSON.parse(String(stored['json'])) as Product });
    expectTypeOf(exact.search).returns.resolves.toEqualTypeOf<SearchHit<Product>[]>();
  });

  it('checks filter field names and value types', () => {
    void products.search([1], { filter: (f) => f.eq('category', 'shoes').and(f.lt('price', 100)) });
    void products.search([1], { filter: (f) => f.or(f.in('category', ['shoes', 'hats']), f.not(f.gte('price', 5)), f.ne('inStock', true)) });
    // @ts-expect-error no such field
    void products.search([1], { filter: (f) => f.eq('colour', 'red') });
    // @ts-expect-error price is a number
    void products.search([1], { filter: (f) => f.eq('price', '100') });
    // @ts-expect-error category is 'shoes' | 'hats'
    void products.search([1], { filter: (f) => f.eq('category', 'boots') });
    // @ts-expect-error booleans cannot be ordered
    void products.search([1], { filter: (f) => f.lt('inStock', true) });
    // @ts-expect-error IN values must be categories
    void products.search([1], { filter: (f) => f.in('category', ['shoes', 1]) });
    expectTypeOf(products.filter).toEqualTypeOf<FilterBuilder<Product>>();
    expectTypeOf(products.filter.gt('name', 'm')).toEqualTypeOf<Filter>();
  });

  it('rejects metadata types that cannot be stored', () => {
    // @ts-expect-error arrays are not metadata values
    void ferrite.vector.index<{ tags: string[] }>('t');
    const builder = filterFor<Product>();
    // @ts-expect-error wrong field
    void builder.gt('size', 3);
  });
});

describe('public exports', () => {
  it('publish command definitions under the plugin prefix and keep internals out', async () => {
    const api = await import('./index.js');
    expectTypeOf(api).toHaveProperty('vectorSearchCommand');
    expectTypeOf(api).toHaveProperty('vectorGetCommand');
    expectTypeOf(api).not.toHaveProperty('getCommand');
    expectTypeOf(api).not.toHaveProperty('deleteCommand');
    expectTypeOf(api).not.toHaveProperty('compileFilterOption');
  });
});
