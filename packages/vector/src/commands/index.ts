export { addCommand, type VectorEncodeOptions } from './add.js';
export { createIndexCommand, type CreateIndexOptions } from './create-index.js';
export { deleteCommand } from './delete.js';
export { dropIndexCommand } from './drop-index.js';
export { decodeStoredVector, getCommand, type StoredVector } from './get.js';
export { decodeIndexInfo, indexInfoCommand, type VectorIndexInfo } from './index-info.js';
export { listIndexesCommand } from './list-indexes.js';
export { decodeSearchReply, searchCommand, type SearchCommandOptions } from './search.js';
