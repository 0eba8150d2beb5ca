export { semantic } from './plugin.js';
export type { SemanticApi } from './semantic-api.js';
export type { ComputeOptions, SemanticCache, SemanticCacheOptions, SemanticCacheStats } from './cache-handle.js';
export {
  jsonCodec,
  legacyTaggedCodec,
  SemanticCodecError,
  textCodec,
  type SemanticCodec,
  type SemanticCodecErrorOptions,
} from './codec.js';
export type { SemanticLocalStats } from './local-stats.js';
export { DEFAULT_THRESHOLD, type LookupOptions, type SemanticPluginOptions, type StoreOptions } from './options.js';
export { semanticDeleteCommand, semanticGetCommand, semanticSetCommand, semanticStatsCommand, type SemanticMatch, type SemanticServerStats } from './commands/index.js';
