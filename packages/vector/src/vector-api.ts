import { FerriteValidationError, prepareCommand, type VectorInput } from '@ferrite/core';
import { addMany, type AddManyOptions, type ItemSource } from './add-many.js';
import { addCommand } from './commands/add.js';
import { createIndexCommand, DEFAULT_DISTANCE, type CreateIndexOptions } from './commands/create-index.js';
import { deleteCommand } from './commands/delete.js';
import { dropIndexCommand } from './commands/drop-index.js';
import { getCommand } from './commands/get.js';
import { indexInfoCommand, type VectorIndexInfo } from './commands/index-info.js';
import { searchCommand } from './commands/search.js';
import { VectorIndexConflictError, VectorIndexExistsError, VectorIndexNotFoundError, type AddManyResult } from './errors.js';
import { compileFilterOption, type FilterOption } from './filter/builder.js';
import {
  createIndexHandle,
  type DecodeOption,
  type FieldsOption,
  type IndexHandleOptions, type MetadataText, type VectorIndexHandle } from './index-handle.js';
import { listAllIndexes } from './list-all.js';
import type { VectorSession } from './session.js';
import type { MetadataInput, MetadataShape, SearchHit, VectorItem, VectorRecord } from './types.js';
import { assertIndexName } from './validate.js';

/** Options of `ferrite.vector.search`. */
export interface SearchOptions<Meta = MetadataInput> {
  /** How many hits, 1 to 10000 (server default 10). */
  readonly topK?: number;
  /** A built filter, a callback given the builder, or a raw FILTER expression. */
  readonly filter?: FilterOption<Meta>;
}

/** What `ensureIndex` did. */
export interface EnsureIndexResult {
  /** Whether this call created the index (false: it existed with the same dim and distance). */
  readonly created: boolean;
}

/** `ferrite.vector`. */
export interface VectorApi {
  /** Creates an index. Throws `VectorIndexExistsError` when the name is taken. */
  createIndex(name: string, options: CreateIndexOptions): Promise<void>;
  /**
   * Creates the index, or checks that the existing one has the same `dim` and `distance`
   * (`distance` defaults to COSINE) and throws `VectorIndexConflictError` if not. Safe to call
   * concurrently: every caller succeeds. Other options (type, m, …) are not compared.
   */
  ensureIndex(name: string, options: CreateIndexOptions): Promise<EnsureIndexResult>;
  /** Drops an index. Throws `VectorIndexNotFoundError` when there is none. */
  dropIndex(name: string): Promise<void>;
  /** The index's settings and size; `VectorIndexNotFoundError` when there is none. */
  info(name: string): Promise<VectorIndexInfo>;
  /**
   * Index names, sorted bytewise. On a cluster, the indexes of every primary (each node lists only
   * its own), merged.
   */
  list(): Promise<string[]>;
  /** Inserts or replaces a vector; its metadata is replaced whole. */
  add(index: string, id: string, vector: VectorInput, metadata?: MetadataInput): Promise<void>;
  /** A stored vector with its metadata (all values as text), or null. */
  get(index: string, id: string): Promise<VectorRecord | null>;
  /**
   * Several stored vectors in one round trip (one pipeline of `VECTOR.GET`), in the order of
   * `ids`, `null` for each one absent. Rejects with the first failure (an unknown index, …).
   */
  getMany(index: string, ids: readonly string[]): Promise<(VectorRecord | null)[]>;
  /** Removes vectors; resolves to how many existed. No ids: 0, with nothing sent. */
  delete(index: string, ...ids: string[]): Promise<number>;
  /** Adds many vectors in pipelined batches; see {@link AddManyOptions}. */
  addMany(index: string, items: ItemSource<VectorItem>, options?: AddManyOptions): Promise<AddManyResult>;
  /** The `topK` nearest vectors, closest first. `score` is a distance: lower is closer. */
  search(index: string, query: VectorInput, options?: SearchOptions): Promise<SearchHit[]>;
  /**
   * A handle on one index whose metadata is typed as `Meta`: filters are checked against it at
   * compile time. Metadata is read back as text unless `fields` or `decode` is given.
   */
  index<Meta extends MetadataShape<Meta> = MetadataInput>(name: string): VectorIndexHandle<Meta, MetadataText<Meta>>;
  /** A typed handle that converts the listed number and boolean fields when reading metadata back. */
  index<Meta extends MetadataShape<Meta>>(name: string, options: FieldsOption<Meta>): VectorIndexHandle<Meta, Partial<Meta>>;
  /** A typed handle that reads metadata back with your `decode` function. */
  index<Meta extends MetadataShape<Meta>, Read = Partial<Meta>>(
    name: string,
    options: DecodeOption<Read>,
  ): VectorIndexHandle<Meta, Read>;
}

const ENSURE_ATTEMPTS = 3;

export function createVectorApi(session: VectorSession): VectorApi {
  const info = async (name: string): Promise<VectorIndexInfo> => {
    const described = await session.call(name, indexInfoCommand, name);
    session.rememberDimension(name, described.dim);
    return described;
  };

  const createIndex = async (name: string, options: CreateIndexOptions): Promise<void> => {
    await session.call(name, createIndexCommand, name, options);
    session.rememberDimension(name, options.dim);
  };

  const ensureIndex = async (name: string, options: CreateIndexOptions): Promise<EnsureIndexResult> => {
    const requested = { dim: options?.dim, distance: options?.distance ?? DEFAULT_DISTANCE };
    // Create first and compare on "already exists": no check-then-act window for a concurrent
    // caller to fall into. A drop between the two steps sends us round again.
    for (let attempt = 1; ; attempt++) {
      try {
        await createIndex(name, options);
        return { created: true };
      } catch (error) {
        if (!(error instanceof VectorIndexExistsError)) throw error;
      }
      try {
        const existing = await info(name);
        if (existing.dim !== requested.dim || existing.distance !== requested.distance) {
          throw new VectorIndexConflictError(name, { dim: existing.dim, distance: existing.distance }, requested);
        }
        return { created: false };
      } catch (error) {
        if (!(error instanceof VectorIndexNotFoundError) || attempt >= ENSURE_ATTEMPTS) throw error;
      }
    }
  };

  const api: VectorApi = {
    createIndex,
    ensureIndex,
    info,
    async dropIndex(name) {
      await session.call(name, dropIndexCommand, name);
      session.forgetDimension(name);
    },
    list: () => listAllIndexes(session),
    add: (index, id, vector, metadata) =>
      session.call(index, addCommand, index, id, vector, metadata, { dimension: session.dimensionOf(index) }),
    async get(index, id) {
      const stored = await session.call(index, getCommand, index, id);
      return stored === null ? null : { id, vector: stored.vector, metadata: stored.metadata };
    },
    async getMany(index, ids) {
      if (!Array.isArray(ids)) throw new FerriteValidationError('ids', 'expected an array of ids');
      const settled = await session.batch(index, ids.map((id) => prepareCommand(getCommand, index, id)));
      return settled.map((entry, i) => {
        if (!entry.ok) throw entry.error;
        return entry.value === null ? null : { id: ids[i] as string, vector: entry.value.vector, metadata: entry.value.metadata };
      });
    },
    async delete(index, ...ids) {
      if (ids.length === 0) {
        assertIndexName(index);
        return 0;
      }
      return session.call(index, deleteCommand, index, ...ids);
    },
    addMany: (index, items, options) => addMany(session, index, items, options),
    // async, so a filter that fails to build rejects like every other validation error.
    async search(index, query, options = {}) {
      return session.call(index, searchCommand, index, query, {
        topK: options.topK,
        filter: compileFilterOption(options.filter),
        dimension: session.dimensionOf(index),
      });
    },
    index: ((name: string, options?: IndexHandleOptions<unknown, unknown>) => createIndexHandle(api, name, options)) as VectorApi['index'],
  };
  return api;
}

