export { vector } from './plugin.js';
export type { EnsureIndexResult, SearchOptions, VectorApi } from './vector-api.js';
export type { DecodeOption, FieldsOption, IndexHandleOptions, MetadataText, VectorIndexHandle, VectorSearchOptions } from './index-handle.js';
export { DEFAULT_BATCH_SIZE, type AddManyOptions, type AddManyProgress, type ItemSource } from './add-many.js';
export {
  VectorAddManyAbortError,
  VectorDimensionMismatchError,
  VectorFilterSyntaxError,
  VectorIndexConflictError,
  VectorIndexExistsError,
  VectorIndexNotFoundError,
  type AddManyFailure,
  type AddManyResult,
} from './errors.js';
export {
  filter,
  filterFor,
  Filter,
  type FilterBuilder,
  type FilterField,
  type FilterInput,
  type FilterOption,
  type FilterValue,
  type OrderedField,
  type OrderedValue,
} from './filter/index.js';
// Command definitions carry the plugin's prefix so they never clash with another plugin's.
export {
  addCommand as vectorAddCommand,
  createIndexCommand as vectorCreateIndexCommand,
  decodeIndexInfo,
  decodeSearchReply,
  decodeStoredVector,
  deleteCommand as vectorDeleteCommand,
  dropIndexCommand as vectorDropIndexCommand,
  getCommand as vectorGetCommand,
  indexInfoCommand as vectorIndexInfoCommand,
  listIndexesCommand as vectorListIndexesCommand,
  searchCommand as vectorSearchCommand,
  type CreateIndexOptions,
  type SearchCommandOptions,
  type StoredVector,
  type VectorEncodeOptions,
  type VectorIndexInfo,
} from './commands/index.js';
export type { MetadataFields, MetadataFieldType } from './metadata.js';
export type {
  MetadataInput,
  MetadataShape,
  MetadataValue,
  SearchHit,
  StoredMetadata,
  VectorDistance,
  VectorIndexType,
  VectorItem,
  VectorRecord,
} from './types.js';
