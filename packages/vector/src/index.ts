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
export * from './filter/index.js';
export * from './commands/index.js';
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
