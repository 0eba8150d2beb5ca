import { createFerrite, FERRITE_COMMAND_CHANNEL, FerriteValidationError, type FerriteClient, type FerriteCommandEvent } from '@ferrite/core';
import { tracingChannel } from 'node:diagnostics_channel';
import { describeEachTransport } from '@ferrite/test-transports';
import { filter, vector, VectorIndexConflictError, VectorIndexNotFoundError } from '@ferrite/vector';
import { ScoreThresholdRetriever } from '@langchain/classic/retrievers/score_threshold';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { FakeEmbeddings, SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_FIELD, METADATA_FIELD } from './stored-document.js';
import { FerriteVectorStore } from './vector-store.js';

type Client = FerriteClient<readonly [ReturnType<typeof vector>]>;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${crypto.randomUUID().slice(0, 8)}`;

/** LangChain's own deterministic embeddings: the same text always gives the same 8-dimensional vector. */
const embeddings = new SyntheticEmbeddings({ vectorSize: 8 });

const contents = (docs: readonly DocumentInterface[]) => docs.map((d) => d.pageContent);

interface Article {
  lang: string;
  year: number;
  draft: boolean;
}

describeEachTransport('langchain vector store', (harness) => {
  let ferrite: Client;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [vector()] });
  });
  const store = <Meta extends object = Record<string, string | number | boolean>>(options: Partial<ConstructorParameters<typeof FerriteVectorStore>[1]> = {}) =>
    new FerriteVectorStore<{ [K in keyof Meta]: Meta[K] & (string | number | boolean) }>(embeddings, {
      client: ferrite,
      indexName: unique('lc'),
      ...options,
    });

  // Ported in spirit from LangChain's Python VectorStoreIntegrationTests.
  describe('the standard vector-store contract', () => {
    it('an empty store finds nothing, and creates no index by searching', async () => {
      const s = store();
      expect(s._vectorstoreType()).toBe('ferrite');
      expect(await s.similaritySearch('foo', 1)).toEqual([]);
      expect(await s.similaritySearchWithScore('foo', 3)).toEqual([]);
      expect(await ferrite.vector.list()).not.toContain(s.indexName);
    });

    it('adds documents, keeps their order and ids, and finds them', async () => {
      const s = store();
      const docs = [new Document({ pageContent: 'foo', metadata: { id: 1 } }), new Document({ pageContent: 'bar', metadata: { id: 2 } })];
      const ids = await s.addDocuments(docs);
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      const found = await s.similaritySearch('bar', 2);
      expect(found[0]).toEqual(new Document({ pageContent: 'bar', metadata: { id: 2 }, id: ids[1] }));
      expect(found.map((d) => d.id).sort()).toEqual([...ids].sort());
      expect((await ferrite.vector.info(s.indexName)).dim).toBe(8);
    });

    it('does not mutate the documents it is given', async () => {
      const s = store();
      const doc = new Document({ pageContent: 'foo', metadata: { id: 1 } });
      const before = structuredClone({ ...doc });
      await s.addDocuments([doc]);
      expect({ ...doc }).toEqual(before);
      expect(doc.id).toBeUndefined();
    });

    it('takes ids from options, then from Document.id, and returns them in order', async () => {
      const s = store();
      expect(await s.addDocuments([new Document({ pageContent: 'a' }), new Document({ pageContent: 'b' })], { ids: ['x', 'y'] })).toEqual(['x', 'y']);
      const fromDocs = await s.addDocuments([new Document({ pageContent: 'quantum chromodynamics', id: 'doc-c' }), new Document({ pageContent: 'a dog in the fog' })]);
      expect(fromDocs[0]).toBe('doc-c');
      expect(fromDocs[1]).toMatch(/^[0-9a-f-]{36}$/);
      const hit = await s.similaritySearch('quantum chromodynamics', 1);
      expect(hit[0]?.id).toBe('doc-c');
      expect(hit[0]?.pageContent).toBe('quantum chromodynamics');
    });

    it('loads in batches of batchSize', async () => {
      const s = store();
      const docs = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((pageContent) => new Document({ pageContent }));
      expect(await s.addDocuments(docs, { ids: ['1', '2', '3', '4', '5'], batchSize: 2 })).toEqual(['1', '2', '3', '4', '5']);
      expect((await ferrite.vector.info(s.indexName)).size).toBe(5);
      await expect(s.addDocuments(docs, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    });

    it('adding the same ids again is idempotent', async () => {
      const s = store();
      const docs = [new Document({ pageContent: 'foo', metadata: { id: 1 } }), new Document({ pageContent: 'bar', metadata: { id: 2 } })];
      await s.addDocuments(docs, { ids: ['1', '2'] });
      await s.addDocuments(docs, { ids: ['1', '2'] });
      expect((await ferrite.vector.info(s.indexName)).size).toBe(2);
      expect(contents(await s.similaritySearch('foo', 10))).toEqual(['foo', 'bar']);
    });

    it('adding by an existing id overwrites content and metadata whole', async () => {
      const s = store();
      await s.addDocuments([new Document({ pageContent: 'foo', metadata: { id: 1, old: true } }), new Document({ pageContent: 'bar', metadata: { id: 2 } })], { ids: ['1', '2'] });
      await s.addDocuments([new Document({ pageContent: 'new foo', metadata: { id: 1, updated: 'yes' }, id: '1' })]);
      const found = await s.similaritySearch('new foo', 10);
      expect(found).toEqual([
        new Document({ pageContent: 'new foo', metadata: { id: 1, updated: 'yes' }, id: '1' }),
        new Document({ pageContent: 'bar', metadata: { id: 2 }, id: '2' }),
      ]);
      // The overwritten flat field is gone too, so it no longer matches a filter.
      expect(await s.similaritySearch('foo', 10, filter.eq('old', true))).toEqual([]);
    });

    it('deletes one document', async () => {
      const s = store();
      await s.addDocuments([new Document({ pageContent: 'foo' }), new Document({ pageContent: 'bar' })], { ids: ['1', '2'] });
      await s.delete({ ids: ['1'] });
      expect(contents(await s.similaritySearch('foo', 10))).toEqual(['bar']);
    });

    it('deletes many documents at once', async () => {
      const s = store();
      await s.addDocuments([new Document({ pageContent: 'foo' }), new Document({ pageContent: 'bar' }), new Document({ pageContent: 'baz' })], { ids: ['1', '2', '3'] });
      await s.delete({ ids: ['1', '2'] });
      expect(contents(await s.similaritySearch('foo', 10))).toEqual(['baz']);
    });

    it('deleting missing ids, or from a store with no index yet, is not an error', async () => {
      const s = store();
      await s.delete({ ids: ['nope'] });
      await s.addDocuments([new Document({ pageContent: 'foo' })], { ids: ['1'] });
      await s.delete({ ids: ['1', 'missing'] });
      await s.delete({ ids: [] });
      expect(await s.similaritySearch('foo', 10)).toEqual([]);
    });

    it('deleteAll drops the index; the next add creates it again', async () => {
      const s = store();
      await s.addDocuments([new Document({ pageContent: 'foo' })]);
      await s.delete({ deleteAll: true });
      expect(await ferrite.vector.list()).not.toContain(s.indexName);
      expect(await s.similaritySearch('foo', 1)).toEqual([]);
      await s.addDocuments([new Document({ pageContent: 'bar' })], { ids: ['b'] });
      expect((await s.similaritySearch('bar', 5)).map((d) => d.id)).toEqual(['b']);
    });

    it('recreates an index dropped behind its back on the next add', async () => {
      const s = store();
      await s.addDocuments([new Document({ pageContent: 'foo' })]);
      await ferrite.vector.dropIndex(s.indexName);
      await s.addDocuments([new Document({ pageContent: 'bar' })], { ids: ['b'] });
      expect((await s.similaritySearch('bar', 5)).map((d) => d.id)).toEqual(['b']);
    });
  });

  describe('what is stored', () => {
    it('round-trips content and the full metadata, nested values included', async () => {
      const s = store();
      const metadata = { source: { url: 'https://x.test/a', page: 3 }, tags: ['a', 'b'], score: 0.25, nothing: null, quote: "it's \"ok\"\n" };
      const content = 'Line one\nline two — ünïcode ✓';
      await s.addDocuments([new Document({ pageContent: content, metadata })], { ids: ['n'] });
      const [doc] = await s.similaritySearch(content, 1);
      expect(doc).toEqual(new Document({ pageContent: content, metadata, id: 'n' }));
    });

    it('round-trips empty content and empty metadata', async () => {
      const s = store();
      await s.addVectors([[1, 0]], [new Document({ pageContent: '' })], { ids: ['empty'] });
      expect(await s.similaritySearchVectorWithScore([1, 0], 1)).toEqual([[new Document({ pageContent: '', metadata: {}, id: 'empty' }), 1]]);
    });

    it('stores scalar fields flat, nested ones under dotted paths, for filters', async () => {
      const s = store();
      await s.addDocuments([new Document({ pageContent: 'x', metadata: { lang: 'en', year: 2024, draft: false, source: { page: 3 }, tags: ['a'] } })], { ids: ['f'] });
      const stored = await ferrite.vector.get(s.indexName, 'f');
      expect({ ...stored?.metadata, [METADATA_FIELD]: undefined }).toEqual({
        lang: 'en',
        year: '2024',
        draft: 'false',
        'source.page': '3',
        [CONTENT_FIELD]: 'x',
        [METADATA_FIELD]: undefined,
      });
    });

    it('reads vectors added without LangChain with their flat metadata', async () => {
      const s = store();
      await s.addVectors([[1, 0]], [new Document({ pageContent: 'seed' })], { ids: ['seed'] });
      await ferrite.vector.add(s.indexName, 'plain', [1, 0.1], { lang: 'de' });
      const results = await s.similaritySearchVectorWithScore([1, 0.1], 1);
      expect(results[0]?.[0]).toEqual(new Document({ pageContent: '', metadata: { lang: 'de' }, id: 'plain' }));
    });
  });

  describe('scores', () => {
    it('COSINE: similarity is the cosine, distance 1 − cosine', async () => {
      const s = store({ distance: 'COSINE' });
      await s.addVectors([[1, 0], [0, 1], [1, 1]], ['a', 'b', 'c'].map((pageContent) => new Document({ pageContent })), { ids: ['a', 'b', 'c'] });
      const results = await s.similaritySearchVectorWithScore([1, 0], 3);
      expect(results.map(([d]) => d.id)).toEqual(['a', 'c', 'b']);
      expect(results.map(([, score]) => score)).toEqual([1, expect.closeTo(Math.SQRT1_2, 5), expect.closeTo(0, 5)]);
      const distances = await store({ indexName: s.indexName, score: 'distance' }).similaritySearchVectorWithScore([1, 0], 3);
      expect(distances.map(([, score]) => score)).toEqual([0, expect.closeTo(1 - Math.SQRT1_2, 5), expect.closeTo(1, 5)]);
    });

    it('L2: similarity is 1 / (1 + distance)', async () => {
      const s = store({ distance: 'L2' });
      await s.addVectors([[0, 0], [3, 4], [1, 0]], ['a', 'b', 'c'].map((pageContent) => new Document({ pageContent })), { ids: ['a', 'b', 'c'] });
      const results = await s.similaritySearchVectorWithScore([0, 0], 3);
      expect(results.map(([d, score]) => [d.id, score])).toEqual([['a', 1], ['c', 0.5], ['b', expect.closeTo(1 / 6, 5)]]);
      const distances = await store({ indexName: s.indexName, score: 'distance' }).similaritySearchVectorWithScore([0, 0], 3);
      expect(distances.map(([, score]) => score)).toEqual([0, 1, 5]);
    });

    it('IP: similarity is the dot product', async () => {
      const s = store({ distance: 'IP' });
      await s.addVectors([[1, 0], [2, 0], [0, 1]], ['a', 'b', 'c'].map((pageContent) => new Document({ pageContent })), { ids: ['a', 'b', 'c'] });
      const results = await s.similaritySearchVectorWithScore([1, 0], 3);
      expect(results.map(([d, score]) => [d.id, score])).toEqual([['b', 2], ['a', 1], ['c', expect.closeTo(0, 6)]]);
    });

    it('a store scores with the existing index’s metric, whatever it was told', async () => {
      const l2 = store({ distance: 'L2' });
      await l2.addVectors([[0, 0], [3, 4]], [new Document({ pageContent: 'a' }), new Document({ pageContent: 'b' })], { ids: ['a', 'b'] });
      const other = store({ indexName: l2.indexName }); // COSINE by default
      expect((await other.similaritySearchVectorWithScore([0, 0], 2)).map(([, score]) => score)).toEqual([1, expect.closeTo(1 / 6, 5)]);
      // Adding through it would change nothing silently: it is refused.
      await expect(other.addVectors([[1, 1]], [new Document({ pageContent: 'c' })])).rejects.toThrow(VectorIndexConflictError);
    });

    it('similaritySearchWithScore ranks the exact text first with similarity 1', async () => {
      const s = store();
      await s.addDocuments(['the cat sat on the mat', 'quantum chromodynamics', 'a dog in the fog'].map((pageContent) => new Document({ pageContent })));
      const results = await s.similaritySearchWithScore('quantum chromodynamics', 3);
      expect(results[0]?.[0].pageContent).toBe('quantum chromodynamics');
      expect(results[0]?.[1]).toBeCloseTo(1, 5);
      const scores = results.map(([, score]) => score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });
  });

  describe('filters', () => {
    const articles = [
      { pageContent: 'english 2024', metadata: { lang: 'en', year: 2024, draft: false, source: { page: 1 } } },
      { pageContent: 'english 2019', metadata: { lang: 'en', year: 2019, draft: true, source: { page: 2 } } },
      { pageContent: 'french 2024', metadata: { lang: 'fr', year: 2024, draft: false, source: { page: 3 } } },
    ].map((fields) => new Document(fields));
    let s: FerriteVectorStore<Article>;
    beforeAll(async () => {
      s = await FerriteVectorStore.fromDocuments<Article>(articles, new FakeEmbeddings(), { client: ferrite, indexName: unique('articles') });
    });
    // FakeEmbeddings gives every text the same vector: only the filter decides.
    const found = async (f: FerriteVectorStore<Article>['FilterType']) => contents(await s.similaritySearch('anything', 10, f)).sort();

    it('typed builder callbacks', async () => {
      expect(await found((f) => f.eq('lang', 'en'))).toEqual(['english 2019', 'english 2024']);
      expect(await found((f) => f.and(f.gte('year', 2020), f.eq('draft', false)))).toEqual(['english 2024', 'french 2024']);
      expect(await found((f) => f.in('lang', ['fr', 'de']))).toEqual(['french 2024']);
    });

    it('built filters and raw FILTER strings, nested fields by dotted path', async () => {
      expect(await found(filter.lt('year', 2020))).toEqual(['english 2019']);
      expect(await found("lang = 'en' AND year >= 2020")).toEqual(['english 2024']);
      expect(await found('source.page > 1')).toEqual(['english 2019', 'french 2024']);
      expect(await found(filter.eq('lang', 'es'))).toEqual([]);
    });

    it('asRetriever applies k and the filter', async () => {
      const retriever = s.asRetriever({ k: 1, filter: (f) => f.eq('lang', 'fr') });
      expect(contents(await retriever.invoke('anything'))).toEqual(['french 2024']);
      expect(await s.asRetriever(5, "year < 2020").invoke('x')).toEqual([expect.objectContaining({ pageContent: 'english 2019' })]);
    });
  });

  describe('retrievers with score thresholds', () => {
    it('ScoreThresholdRetriever keeps only hits at least that similar', async () => {
      // FakeEmbeddings embeds every query as [0.1, 0.2, 0.3, 0.4]; the stored vectors are chosen around it.
      const s = new FerriteVectorStore(new FakeEmbeddings(), { client: ferrite, indexName: unique('threshold') });
      await s.addVectors(
        [[1, 2, 3, 4], [1, 2, 3, 5], [4, -3, 2, -1], [-1, -2, -3, -4]],
        ['same', 'close', 'orthogonal', 'opposite'].map((pageContent) => new Document({ pageContent })),
      );
      const strict = ScoreThresholdRetriever.fromVectorStore(s, { minSimilarityScore: 0.9, maxK: 10, kIncrement: 2 });
      expect(contents(await strict.invoke('q'))).toEqual(['same', 'close']);
      const loose = ScoreThresholdRetriever.fromVectorStore(s, { minSimilarityScore: -0.5, maxK: 10, kIncrement: 2 });
      expect(contents(await loose.invoke('q'))).toEqual(['same', 'close', 'orthogonal']);
      const filtered = ScoreThresholdRetriever.fromVectorStore(s, { minSimilarityScore: 0.9, filter: "_lc_content != 'same'" });
      expect(contents(await filtered.invoke('q'))).toEqual(['close']);
    });
  });

  describe('maximal marginal relevance', () => {
    // FakeEmbeddings embeds every query as [0.1, 0.2, 0.3, 0.4].
    const seed = async () => {
      const s = new FerriteVectorStore(new FakeEmbeddings(), { client: ferrite, indexName: unique('mmr') });
      await s.addVectors(
        [[1, 2, 3, 4], [1, 2, 3, 4.01], [1, 2, 0, 0], [-1, -2, -3, -4]],
        ['query-like', 'near duplicate', 'different angle', 'opposite'].map((pageContent, i) => new Document({ pageContent, metadata: { i } })),
        { ids: ['a', 'a2', 'b', 'z'] },
      );
      return s;
    };

    it('trades closeness for diversity, returning stored documents with their ids', async () => {
      const s = await seed();
      expect(contents(await s.similaritySearch('q', 2))).toEqual(['query-like', 'near duplicate']);
      const picked = await s.maxMarginalRelevanceSearch('q', { k: 2, fetchK: 3, lambda: 0.25 }, undefined);
      expect(picked).toEqual([
        new Document({ pageContent: 'query-like', metadata: { i: 0 }, id: 'a' }),
        new Document({ pageContent: 'different angle', metadata: { i: 2 }, id: 'b' }),
      ]);
      expect(contents(await s.maxMarginalRelevanceSearch('q', { k: 2, fetchK: 3, lambda: 1 }, undefined))).toEqual(['query-like', 'near duplicate']);
    });

    it('fetches the candidates’ vectors in one pipeline: two round trips in all, whatever fetchK', async () => {
      const s = await seed();
      const commands = tracingChannel<unknown, FerriteCommandEvent>(FERRITE_COMMAND_CHANNEL);
      const seen: string[] = [];
      const onSettled = (message: unknown) => {
        const event = message as FerriteCommandEvent;
        seen.push(event.operation === 'batch' ? `${event.command} x${event.batchSize}` : `${event.command}`);
      };
      commands.asyncEnd.subscribe(onSettled);
      try {
        await s.maxMarginalRelevanceSearch('q', { k: 2, fetchK: 4, lambda: 0.25 }, undefined);
      } finally {
        commands.asyncEnd.unsubscribe(onSettled);
      }
      expect(seen).toEqual(['VECTOR.SEARCH', 'VECTOR.GET x4']);
    });

    it("works through asRetriever({ searchType: 'mmr' }) and honours the filter", async () => {
      const s = await seed();
      const retriever = s.asRetriever({ k: 2, searchType: 'mmr', searchKwargs: { fetchK: 3, lambda: 0.25 } });
      expect(contents(await retriever.invoke('q'))).toEqual(['query-like', 'different angle']);
      const filtered = s.asRetriever({ k: 1, searchType: 'mmr', filter: (f) => f.ne('i', 0), searchKwargs: { fetchK: 3, lambda: 0.25 } });
      expect(contents(await filtered.invoke('q'))).toEqual(['near duplicate']);
    });

    it('finds nothing in a store with no index, and rejects bad options', async () => {
      const s = new FerriteVectorStore(new FakeEmbeddings(), { client: ferrite, indexName: unique('mmr-empty') });
      expect(await s.maxMarginalRelevanceSearch('q', { k: 2 }, undefined)).toEqual([]);
      await expect(s.maxMarginalRelevanceSearch('q', { k: 3, fetchK: 2 }, undefined)).rejects.toThrow(/fetchK/);
      await expect(s.maxMarginalRelevanceSearch('q', { k: 0 }, undefined)).rejects.toThrow(FerriteValidationError);
      await expect(s.maxMarginalRelevanceSearch('q', { k: 1, lambda: 2 }, undefined)).rejects.toThrow(/lambda/);
    });
  });

  describe('factories', () => {
    it('fromTexts with one metadata object per text, or one for all', async () => {
      const indexName = unique('texts');
      const s = await FerriteVectorStore.fromTexts(['one', 'two'], [{ n: 1 }, { n: 2 }], embeddings, { client: ferrite, indexName });
      expect((await s.similaritySearch('two', 1, filter.eq('n', 2)))[0]?.metadata).toEqual({ n: 2 });
      const shared = await FerriteVectorStore.fromTexts(['three'], { n: 3 }, embeddings, { client: ferrite, indexName: unique('texts') });
      expect((await shared.similaritySearch('three', 1))[0]?.metadata).toEqual({ n: 3 });
    });

    it('fromExistingIndex adopts the index and its metric; a missing index rejects', async () => {
      const l2 = store({ distance: 'L2' });
      await l2.addVectors([[0, 0]], [new Document({ pageContent: 'origin' })], { ids: ['o'] });
      const again = await FerriteVectorStore.fromExistingIndex(embeddings, { client: ferrite, indexName: l2.indexName });
      expect(again.distance).toBe('L2');
      await again.addVectors([[3, 4]], [new Document({ pageContent: 'far' })], { ids: ['f'] });
      expect((await again.similaritySearchVectorWithScore([0, 0], 2)).map(([d, score]) => [d.pageContent, score])).toEqual([
        ['origin', 1],
        ['far', expect.closeTo(1 / 6, 5)],
      ]);
      await expect(FerriteVectorStore.fromExistingIndex(embeddings, { client: ferrite, indexName: unique('none') })).rejects.toThrow(VectorIndexNotFoundError);
    });
  });

  describe('bad input is rejected before anything is sent', () => {
    it('mismatched ids, vectors or documents, and unstorable metadata', async () => {
      const s = store();
      const doc = new Document({ pageContent: 'x' });
      await expect(s.addDocuments([doc], { ids: ['a', 'b'] })).rejects.toThrow(FerriteValidationError);
      await expect(s.addVectors([[1, 2], [1]], [doc, doc])).rejects.toThrow(/vectors\[1\]/);
      await expect(s.addVectors([[1, 2]], [doc, doc])).rejects.toThrow(FerriteValidationError);
      await expect(s.addVectors([[1, Number.NaN]], [doc])).rejects.toThrow(FerriteValidationError);
      await expect(s.addVectors([[1, 2]], [doc], { ids: ['bad\nid'] })).rejects.toThrow(FerriteValidationError);
      await expect(s.addVectors([[1, 2]], [new Document({ pageContent: 'x', metadata: { big: 1n } })])).rejects.toThrow(/cannot be stored as JSON/);
      await expect(s.addVectors([[1, 2]], [doc], { batchSize: 1.5 })).rejects.toThrow(/batchSize/);
      await expect(s.delete({})).rejects.toThrow(FerriteValidationError);
      await expect(s.similaritySearch('x', 1, (f) => f.eq('bad field', 'x'))).rejects.toThrow(FerriteValidationError);
      expect(await ferrite.vector.list()).not.toContain(s.indexName);
    });

    it('bad documents or options cost no embedding call', async () => {
      class CountingEmbeddings extends SyntheticEmbeddings {
        calls = 0;
        override async embedDocuments(texts: string[]): Promise<number[][]> {
          this.calls++;
          return super.embedDocuments(texts);
        }
      }
      const counting = new CountingEmbeddings({ vectorSize: 4 });
      const s = new FerriteVectorStore(counting, { client: ferrite, indexName: unique('costly') });
      const doc = new Document({ pageContent: 'x' });
      await expect(s.addDocuments([doc], { ids: ['a', 'b'] })).rejects.toThrow(/ids/);
      await expect(s.addDocuments([doc], { batchSize: 0 })).rejects.toThrow(/batchSize/);
      await expect(s.addDocuments([new Document({ pageContent: 'x', metadata: { big: 1n } })])).rejects.toThrow(/JSON/);
      await expect(s.addDocuments([{ metadata: {} } as unknown as Document])).rejects.toThrow(/pageContent/);
      expect(counting.calls).toBe(0);
      expect(await s.addDocuments([doc], { ids: ['ok'] })).toEqual(['ok']);
      expect(counting.calls).toBe(1);
    });

    it('bad options throw from the constructor', () => {
      expect(() => new FerriteVectorStore(embeddings, { client: ferrite, indexName: '' })).toThrow(FerriteValidationError);
      expect(() => new FerriteVectorStore(embeddings, { client: ferrite, indexName: 'i', distance: 'HAMMING' as 'L2' })).toThrow(/distance/);
      expect(() => new FerriteVectorStore(embeddings, { client: ferrite, indexName: 'i', score: 'rank' as 'distance' })).toThrow(/score/);
      expect(() => new FerriteVectorStore(embeddings, { client: {} as Client, indexName: 'i' })).toThrow(/vector plugin/);
      expect(() => new FerriteVectorStore(embeddings, null as never)).toThrow(FerriteValidationError);
    });
  });
});
