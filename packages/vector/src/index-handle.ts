import { FerriteValidationError, type VectorInput } from '@ferrite/core';
import type { AddManyOptions, ItemSource } from './add-many.js';
import type { CreateIndexOptions } from './commands/create-index.js';
import type { VectorIndexInfo } from './commands/index-info.js';
import type { AddManyResult } from './errors.js';
import { filterFor, type FilterBuilder, type FilterField, type FilterOption } from './filter/builder.js';
import { decodeMetadataFields, type MetadataFields } from './metadata.js';
import type { MetadataInput, SearchHit, StoredMetadata, VectorItem, VectorRecord } from './types.js';
import { assertIndexName } from './validate.js';
import type { EnsureIndexResult, VectorApi } from './vector-api.js';

/** Metadata of a typed index as the server returns it without `decode`: each known field as text, if present. */
export type MetadataText<Meta> = { readonly [K in FilterField<Meta>]?: string };

/** Read metadata back with your own function, for `get` and `search`. */
export interface DecodeOption<Read> {
  /** Vectors added by other code may lack fields, so the default read type is `Partial<Meta>`. */
  readonly decode: (stored: StoredMetadata) => Read;
}

/** Read metadata back by declaring which fields are numbers and booleans. */
export interface FieldsOption<Meta> {
  readonly fields: MetadataFields<Meta>;
}

/** How a typed handle reads metadata back: your `decode` function, or `fields` naming the numbers and booleans. */
export type IndexHandleOptions<Meta, Read> = DecodeOption<Read> | FieldsOption<Meta>;

/** Options of a typed handle's `search`; filters are checked against `Meta`. */
export interface VectorSearchOptions<Meta> {
  readonly topK?: number;
  readonly filter?: FilterOption<Meta>;
}

/** One index, with metadata typed as `Meta` on the way in and `Read` on the way out. */
export interface VectorIndexHandle<Meta, Read> {
  readonly name: string;
  /** The filter builder for this index's metadata, to build filters ahead of a search. */
  readonly filter: FilterBuilder<Meta>;
  /** Creates the index; `VectorIndexExistsError` when the name is taken. */
  create(options: CreateIndexOptions): Promise<void>;
  /** Creates the index, or checks the existing one has the same `dim` and `distance`. */
  ensure(options: CreateIndexOptions): Promise<EnsureIndexResult>;
  /** Drops the index; `VectorIndexNotFoundError` when there is none. */
  drop(): Promise<void>;
  /** The index's settings and size. */
  info(): Promise<VectorIndexInfo>;
  /** Inserts or replaces a vector; its metadata is replaced whole. */
  add(id: string, vector: VectorInput, metadata?: Meta): Promise<void>;
  /** A stored vector with its metadata read back as `Read`, or null. */
  get(id: string): Promise<VectorRecord<Read> | null>;
  /** Removes vectors; resolves to how many existed. */
  delete(...ids: string[]): Promise<number>;
  /** Adds many vectors in pipelined batches; see `AddManyOptions`. */
  addMany(items: ItemSource<VectorItem<Meta>>, options?: AddManyOptions): Promise<AddManyResult>;
  /** The nearest vectors, closest first, with metadata read back as `Read`. */
  search(query: VectorInput, options?: VectorSearchOptions<Meta>): Promise<SearchHit<Read>[]>;
}

function decoderOf<Meta, Read>(options: IndexHandleOptions<Meta, Read> | undefined): (stored: StoredMetadata) => Read {
  if (options === undefined) return (stored) => stored as unknown as Read;
  if ('decode' in options) {
    if (typeof options.decode !== 'function') throw new FerriteValidationError('decode', 'expected a function');
    return options.decode;
  }
  if (typeof options.fields !== 'object' || options.fields === null) {
    throw new FerriteValidationError('fields', 'expected an object of field types');
  }
  return decodeMetadataFields(options.fields) as unknown as (stored: StoredMetadata) => Read;
}

export function createIndexHandle<Meta, Read>(
  api: VectorApi,
  name: string,
  options?: IndexHandleOptions<Meta, Read>,
): VectorIndexHandle<Meta, Read> {
  assertIndexName(name);
  const decode = decoderOf(options);
  return Object.freeze({
    name,
    filter: filterFor<Meta>(),
    create: (createOptions) => api.createIndex(name, createOptions),
    ensure: (ensureOptions) => api.ensureIndex(name, ensureOptions),
    drop: () => api.dropIndex(name),
    info: () => api.info(name),
    add: (id, vector, metadata) => api.add(name, id, vector, metadata as MetadataInput | undefined),
    async get(id) {
      const record = await api.get(name, id);
      return record === null ? null : { ...record, metadata: decode(record.metadata) };
    },
    delete: (...ids) => api.delete(name, ...ids),
    addMany: (items, addOptions) => api.addMany(name, items as ItemSource<VectorItem>, addOptions),
    async search(query, searchOptions = {}) {
      const hits = await api.search(name, query, {
        topK: searchOptions.topK,
        filter: searchOptions.filter as FilterOption<MetadataInput> | undefined,
      });
      return hits.map((hit) => ({ ...hit, metadata: decode(hit.metadata) }));
    },
  } satisfies VectorIndexHandle<Meta, Read>);
}
