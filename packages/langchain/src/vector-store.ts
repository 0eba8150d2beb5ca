import { assertInteger, assertName, FerriteValidationError } from '@ferrite/core';
import {
  filterFor,
  VectorIndexNotFoundError,
  type FilterOption,
  type MetadataShape,
  type MetadataValue,
  type SearchHit,
  type VectorApi,
  type VectorDistance,
  type VectorItem,
} from '@ferrite/vector';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Callbacks } from '@langchain/core/callbacks/manager';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import { similarityFromDistance, type ScoreKind } from './scores.js';
import { readStoredDocument, storedFields } from './stored-document.js';

/** A Ferrite client with the vector plugin: `createFerrite({ transport, plugins: [vector()] })`. */
export interface FerriteVectorClient {
  readonly vector: VectorApi;
}

/** How to reach and shape the index behind a {@link FerriteVectorStore}. */
export interface FerriteVectorStoreOptions {
  /** A Ferrite client with the vector plugin, over any transport. */
  readonly client: FerriteVectorClient;
  /** The vector index the documents live in. Created on the first add if it does not exist. */
  readonly indexName: string;
  /**
   * The metric of an index this store creates (default `COSINE`). Adding to an existing index of
   * another metric or dimension rejects with `VectorIndexConflictError`. Searches always score
   * with the existing index's own metric.
   */
  readonly distance?: VectorDistance;
  /**
   * What `similaritySearchWithScore` returns. `similarity` (default): higher is closer, as
   * LangChain's retrievers and score thresholds expect. `distance`: the server's score, lower is closer.
   */
  readonly score?: ScoreKind;
}

/** Options of `addVectors` and `addDocuments`. */
export interface FerriteAddOptions {
  /** One id per document; without it each document's `id` is used, else a random UUID. */
  readonly ids?: readonly string[];
  /** Vectors per pipelined batch (default 500, see the vector plugin's `addMany`). */
  readonly batchSize?: number;
}

/** Options of `delete`: the ids to remove, or `deleteAll` to drop the whole index. */
export interface FerriteDeleteOptions {
  readonly ids?: readonly string[];
  /** Drops the index itself; the next add creates it again. */
  readonly deleteAll?: boolean;
}

const DISTANCES: readonly VectorDistance[] = ['COSINE', 'L2', 'IP'];
const SCORE_KINDS: readonly ScoreKind[] = ['similarity', 'distance'];

function assertOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new FerriteValidationError(field, `expected ${allowed.map((v) => `'${v}'`).join(' or ')}, got ${JSON.stringify(value)}`);
  }
}

function assertVectors(vectors: unknown, count: number): asserts vectors is readonly (readonly number[])[] {
  if (!Array.isArray(vectors)) throw new FerriteValidationError('vectors', 'expected an array of vectors');
  if (vectors.length !== count) {
    throw new FerriteValidationError('vectors', `got ${vectors.length} vectors for ${count} documents`);
  }
  const dim = (vectors[0] as unknown[] | undefined)?.length;
  vectors.forEach((vector: unknown, i) => {
    if (!Array.isArray(vector) || vector.length === 0) throw new FerriteValidationError(`vectors[${i}]`, 'expected a non-empty array of numbers');
    if (vector.length !== dim) throw new FerriteValidationError(`vectors[${i}]`, `has ${vector.length} dimensions, vectors[0] has ${dim}`);
    if (!vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new FerriteValidationError(`vectors[${i}]`, 'expected finite numbers only');
    }
  });
}

function documentOf(hit: SearchHit): Document {
  const { pageContent, metadata } = readStoredDocument(hit.metadata);
  return new Document({ pageContent, metadata, id: hit.id });
}

function idsFor(documents: readonly DocumentInterface[], given: readonly string[] | undefined): string[] {
  if (given !== undefined) {
    if (!Array.isArray(given) || given.length !== documents.length) {
      throw new FerriteValidationError('ids', `expected one id per document (${documents.length})`);
    }
    given.forEach((id, i) => assertName(id, `ids[${i}]`));
    return [...given];
  }
  return documents.map((document, i) => {
    const id: unknown = document?.id;
    if (id === undefined || id === null || id === '') return crypto.randomUUID();
    assertName(id, `documents[${i}].id`);
    return id;
  });
}

interface PreparedAdd {
  readonly items: readonly { readonly id: string; readonly metadata: Record<string, MetadataValue> }[];
  readonly batchSize: number | undefined;
}

/** Everything about an add that can be checked without the vectors. */
function prepareAdd(documents: readonly DocumentInterface[], options: FerriteAddOptions | undefined): PreparedAdd {
  if (!Array.isArray(documents)) throw new FerriteValidationError('documents', 'expected an array of documents');
  const ids = idsFor(documents, options?.ids);
  const batchSize = options?.batchSize;
  if (batchSize !== undefined) assertInteger(batchSize, 'batchSize', { min: 1 });
  return { items: documents.map((document, i) => ({ id: ids[i] as string, metadata: storedFields(document, i) })), batchSize };
}

/**
 * Ferrite as a LangChain.js vector store. Each document is one vector whose metadata holds the
 * page content, the whole metadata as JSON (nested values round-trip), and every scalar field
 * flat, so filters — the vector plugin's typed builder or a raw FILTER string — can use them.
 * `Meta` types the flat fields the filter builder may name.
 *
 * ```ts
 * const store = new FerriteVectorStore(embeddings, { client: ferrite, indexName: 'docs' });
 * await store.addDocuments([new Document({ pageContent: '…', metadata: { lang: 'en' } })]);
 * await store.similaritySearch('question', 4, (f) => f.eq('lang', 'en'));
 * ```
 */
export class FerriteVectorStore<Meta extends MetadataShape<Meta> = Record<string, MetadataValue>> extends VectorStore {
  /** A built filter, a callback given the typed builder, or a raw FILTER expression. */
  declare FilterType: FilterOption<Meta>;

  readonly client: FerriteVectorClient;
  readonly indexName: string;
  readonly score: ScoreKind;
  #distance: VectorDistance;
  /** Settles once the index is known to exist with this store's metric; reset when that may no longer hold. */
  #ensured: Promise<void> | undefined;
  /** The existing index's metric, once asked. */
  #metric: VectorDistance | undefined;

  constructor(embeddings: EmbeddingsInterface, options: FerriteVectorStoreOptions) {
    super(embeddings, options);
    if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected { client, indexName }');
    const { client, indexName, distance = 'COSINE', score = 'similarity' } = options;
    if (typeof client !== 'object' || client === null || typeof client.vector !== 'object' || client.vector === null) {
      throw new FerriteValidationError('client', 'expected a Ferrite client with the vector plugin');
    }
    assertName(indexName, 'indexName');
    assertOneOf(distance, DISTANCES, 'distance');
    assertOneOf(score, SCORE_KINDS, 'score');
    this.client = client;
    this.indexName = indexName;
    this.#distance = distance;
    this.score = score;
  }

  /** The metric of the index: the one asked for, or the existing index's after `fromExistingIndex`. */
  get distance(): VectorDistance {
    return this.#distance;
  }

  _vectorstoreType(): string {
    return 'ferrite';
  }

  /**
   * Embeds the documents' content and stores them; resolves to their ids, in order. Bad input is
   * rejected before the embeddings are asked for, so it costs no embedding call.
   */
  async addDocuments(documents: DocumentInterface[], options?: FerriteAddOptions): Promise<string[]> {
    const prepared = prepareAdd(documents, options);
    if (prepared.items.length === 0) return [];
    const vectors = await this.embeddings.embedDocuments(documents.map((document) => document.pageContent));
    assertVectors(vectors, documents.length);
    return this.#store(vectors, prepared);
  }

  /**
   * Stores documents with their vectors, creating the index on first use (its dimension taken from
   * the first vector). Ids come from `options.ids`, else each document's `id`, else a random UUID;
   * the same id again replaces the document. The documents passed in are not modified.
   * Everything is validated before anything is sent; should the server still reject an item, this
   * rejects with that item's error (the others are stored: adding again with the same ids is safe).
   */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: FerriteAddOptions): Promise<string[]> {
    const prepared = prepareAdd(documents, options);
    assertVectors(vectors, documents.length);
    if (prepared.items.length === 0) return [];
    return this.#store(vectors, prepared);
  }

  async #store(vectors: readonly (readonly number[])[], prepared: PreparedAdd): Promise<string[]> {
    const items: VectorItem[] = prepared.items.map((item, i) => ({ ...item, vector: vectors[i] as number[] }));
    const dim = (vectors[0] as number[]).length;
    const addOptions = { batchSize: prepared.batchSize };
    await this.#ensureIndex(dim);
    let result;
    try {
      result = await this.client.vector.addMany(this.indexName, items, addOptions);
    } catch (error) {
      // Dropped since we last saw it (another process, or `delete({ deleteAll })` elsewhere): make it again, once.
      if (!(error instanceof VectorIndexNotFoundError)) throw error;
      this.#forgetIndex(undefined);
      await this.#ensureIndex(dim);
      result = await this.client.vector.addMany(this.indexName, items, addOptions);
    }
    const first = result.failed[0];
    if (first !== undefined) throw first.error;
    return prepared.items.map((item) => item.id);
  }

  /**
   * The `k` closest documents to a vector, closest first, each with its score: a similarity by
   * default (see the README for each metric), the server's distance with `score: 'distance'`.
   * An index that does not exist yet holds nothing: the result is empty.
   */
  async similaritySearchVectorWithScore(query: number[], k: number, filter?: this['FilterType']): Promise<[DocumentInterface, number][]> {
    const found = await this.#search(query, k, filter);
    if (found === undefined) return [];
    return found.hits.map((hit) => {
      const score = this.score === 'distance' ? hit.score : similarityFromDistance(hit.score, found.metric);
      return [documentOf(hit), score];
    });
  }

  /**
   * Maximal marginal relevance: fetches the `fetchK` (default 20) closest documents and their
   * vectors, then picks `k` of them balancing closeness to the query against difference from those
   * already picked (`lambda` 1: closeness only, 0: difference only; default 0.5). Used by
   * `asRetriever({ searchType: 'mmr' })`.
   */
  override async maxMarginalRelevanceSearch(
    query: string,
    options: MaxMarginalRelevanceSearchOptions<this['FilterType']>,
    _callbacks?: Callbacks,
  ): Promise<DocumentInterface[]> {
    if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected { k, fetchK?, lambda?, filter? }');
    const { k, fetchK = 20, lambda = 0.5, filter } = options;
    assertInteger(k, 'k', { min: 1 });
    assertInteger(fetchK, 'fetchK', { min: k });
    if (typeof lambda !== 'number' || !(lambda >= 0 && lambda <= 1)) {
      throw new FerriteValidationError('lambda', `expected a number from 0 to 1, got ${String(lambda)}`);
    }
    const queryVector = await this.embeddings.embedQuery(query);
    const found = await this.#search(queryVector, fetchK, filter);
    if (found === undefined) return [];
    // Search replies carry no vectors (PROTOCOL.md v1.2 has no WITHVECTORS): they come in one
    // pipeline, one more round trip in all. A document deleted in between is simply left out.
    const records = await this.client.vector.getMany(this.indexName, found.hits.map((hit) => hit.id));
    const candidates = found.hits.flatMap((hit, i) => {
      const record = records[i];
      return record ? [{ hit, vector: Array.from(record.vector) }] : [];
    });
    if (candidates.length === 0) return [];
    const picked = maximalMarginalRelevance(queryVector, candidates.map((candidate) => candidate.vector), lambda, k);
    return picked.map((i) => documentOf((candidates[i] as (typeof candidates)[number]).hit));
  }

  /** Removes documents by id (missing ids are ignored), or drops the index with `deleteAll`. */
  override async delete(options?: FerriteDeleteOptions): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected { ids } or { deleteAll: true }');
    if (options.deleteAll === true) {
      this.#forgetIndex(undefined);
      try {
        await this.client.vector.dropIndex(this.indexName);
      } catch (error) {
        if (!(error instanceof VectorIndexNotFoundError)) throw error;
      }
      return;
    }
    const { ids } = options;
    if (!Array.isArray(ids)) throw new FerriteValidationError('ids', 'expected an array of ids');
    ids.forEach((id, i) => assertName(id, `ids[${i}]`));
    if (ids.length === 0) return;
    try {
      await this.client.vector.delete(this.indexName, ...ids);
    } catch (error) {
      if (!(error instanceof VectorIndexNotFoundError)) throw error;
      this.#forgetIndex(undefined);
    }
  }

  /** A store over texts, one document per text; `metadatas` is one object for all, or one per text. */
  static override async fromTexts<Meta extends MetadataShape<Meta> = Record<string, MetadataValue>>(
    texts: string[],
    metadatas: object[] | object,
    embeddings: EmbeddingsInterface,
    options: FerriteVectorStoreOptions,
  ): Promise<FerriteVectorStore<Meta>> {
    if (!Array.isArray(texts)) throw new FerriteValidationError('texts', 'expected an array of strings');
    if (Array.isArray(metadatas) && metadatas.length !== texts.length) {
      throw new FerriteValidationError('metadatas', `got ${metadatas.length} for ${texts.length} texts`);
    }
    const documents = texts.map(
      (pageContent, i) =>
        new Document({
          pageContent,
          metadata: (Array.isArray(metadatas) ? metadatas[i] : metadatas) as Record<string, unknown>,
        }),
    );
    return FerriteVectorStore.fromDocuments<Meta>(documents, embeddings, options);
  }

  /** A store holding these documents (added with their own ids where they have one). */
  static override async fromDocuments<Meta extends MetadataShape<Meta> = Record<string, MetadataValue>>(
    documents: DocumentInterface[],
    embeddings: EmbeddingsInterface,
    options: FerriteVectorStoreOptions,
  ): Promise<FerriteVectorStore<Meta>> {
    const store = new FerriteVectorStore<Meta>(embeddings, options);
    await store.addDocuments(documents);
    return store;
  }

  /**
   * A store over an index that already exists, adopting its metric. Rejects with
   * `VectorIndexNotFoundError` when there is none.
   */
  static async fromExistingIndex<Meta extends MetadataShape<Meta> = Record<string, MetadataValue>>(
    embeddings: EmbeddingsInterface,
    options: FerriteVectorStoreOptions,
  ): Promise<FerriteVectorStore<Meta>> {
    const store = new FerriteVectorStore<Meta>(embeddings, options);
    const info = await store.client.vector.info(store.indexName);
    store.#distance = info.distance;
    store.#metric = info.distance;
    return store;
  }

  #ensureIndex(dim: number): Promise<void> {
    this.#ensured ??= this.client.vector.ensureIndex(this.indexName, { dim, distance: this.#distance }).then(
      () => void (this.#metric = this.#distance),
      (error: unknown) => {
        this.#ensured = undefined;
        throw error;
      },
    );
    return this.#ensured;
  }

  /** The hits and the metric they are scored by; `undefined` while there is no index. */
  async #search(query: number[], k: number, filter: FilterOption<Meta> | undefined): Promise<{ hits: SearchHit[]; metric: VectorDistance } | undefined> {
    // Compiled first, so a bad filter is rejected even while there is no index to search.
    // `and` of one filter validates and compiles it (a raw string, a built filter or a callback's result).
    const builder = filterFor<Meta>();
    const expression = filter === undefined ? undefined : builder.and(typeof filter === 'function' ? filter(builder) : filter).expression;
    const metric = await this.#knownMetric();
    if (metric === undefined) return undefined;
    try {
      return { hits: await this.client.vector.search(this.indexName, query, { topK: k, filter: expression }), metric };
    } catch (error) {
      if (error instanceof VectorIndexNotFoundError) return this.#forgetIndex(undefined);
      throw error;
    }
  }

  /** The index's metric, asked once; `undefined` while there is no index. */
  async #knownMetric(): Promise<VectorDistance | undefined> {
    if (this.#metric !== undefined) return this.#metric;
    try {
      return (this.#metric = (await this.client.vector.info(this.indexName)).distance);
    } catch (error) {
      if (error instanceof VectorIndexNotFoundError) return undefined;
      throw error;
    }
  }

  #forgetIndex<T>(result: T): T {
    this.#ensured = undefined;
    this.#metric = undefined;
    return result;
  }
}
