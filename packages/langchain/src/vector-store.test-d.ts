import type { FerriteClient } from '@ferrite/core';
import type { semantic } from '@ferrite/semantic';
import { filterFor, type vector } from '@ferrite/vector';
import type { DocumentInterface } from '@langchain/core/documents';
import { BaseCache } from '@langchain/core/caches';
import { VectorStore, type VectorStoreRetriever } from '@langchain/core/vectorstores';
import { FakeEmbeddings } from '@langchain/core/utils/testing';
import { describe, expectTypeOf, it } from 'vitest';
import { FerriteSemanticCache, FerriteVectorStore } from './index.js';

declare const client: FerriteClient<readonly [ReturnType<typeof vector>, ReturnType<typeof semantic>]>;
declare const semanticOnly: FerriteClient<readonly [ReturnType<typeof semantic>]>;
interface Article {
  lang: string;
  year: number;
  draft?: boolean;
}

describe('FerriteVectorStore types', () => {
  it('is a LangChain VectorStore whose filters are checked against Meta', () => {
    const store = new FerriteVectorStore<Article>(new FakeEmbeddings(), { client, indexName: 'articles' });
    expectTypeOf(store).toExtend<VectorStore>();
    expectTypeOf(store.addDocuments).returns.resolves.toEqualTypeOf<string[]>();
    void store.similaritySearch('q', 4, (f) => f.and(f.eq('lang', 'en'), f.gte('year', 2020), f.eq('draft', false)));
    void store.similaritySearch('q', 4, filterFor<Article>().lt('year', 2000));
    void store.similaritySearch('q', 4, "lang = 'en'");
    // @ts-expect-error: no such field
    void store.similaritySearch('q', 4, (f) => f.eq('author', 'x'));
    // @ts-expect-error: year is a number
    void store.similaritySearch('q', 4, (f) => f.eq('year', '2020'));
    // @ts-expect-error: booleans cannot be ordered
    void store.similaritySearch('q', 4, (f) => f.gt('draft', true));
    expectTypeOf(store.asRetriever({ k: 2, filter: (f) => f.eq('lang', 'en') })).toEqualTypeOf<VectorStoreRetriever<FerriteVectorStore<Article>>>();
    expectTypeOf(store.similaritySearchWithScore('q')).resolves.toEqualTypeOf<[DocumentInterface, number][]>();
  });

  it('needs a client with the vector plugin', () => {
    // @ts-expect-error: the semantic plugin alone is not enough
    void new FerriteVectorStore(new FakeEmbeddings(), { client: semanticOnly, indexName: 'i' });
    // @ts-expect-error: not a metric
    void new FerriteVectorStore(new FakeEmbeddings(), { client, indexName: 'i', distance: 'HAMMING' });
  });

  it('the factories give typed stores', () => {
    expectTypeOf(FerriteVectorStore.fromExistingIndex<Article>(new FakeEmbeddings(), { client, indexName: 'i' })).resolves.toEqualTypeOf<FerriteVectorStore<Article>>();
    expectTypeOf(FerriteVectorStore.fromTexts(['a'], {}, new FakeEmbeddings(), { client, indexName: 'i' })).resolves.toExtend<VectorStore>();
  });
});

describe('FerriteSemanticCache types', () => {
  it('is a LangChain BaseCache and needs the semantic plugin', () => {
    expectTypeOf(new FerriteSemanticCache(client, { ttl: 60 })).toExtend<BaseCache>();
    // @ts-expect-error: ttl is seconds or null
    void new FerriteSemanticCache(client, { ttl: '1h' });
    const vectorOnly = null as unknown as FerriteClient<readonly [ReturnType<typeof vector>]>;
    // @ts-expect-error: the vector plugin alone is not enough
    void new FerriteSemanticCache(vectorOnly);
  });
});
