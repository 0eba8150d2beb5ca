export { semantic } from './plugin.js';
export { isCacheOutage } from './outage.js';
export { SingleFlight, type FlightResult } from './single-flight.js';
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
export { DEFAULT_THRESHOLD, type BackgroundStoreOptions, type LookupOptions, type SemanticPluginOptions, type StoreOptions } from './options.js';
// Command definitions carry the plugin's prefix so they never clash with another plugin's.
export {
  deleteCommand as semanticDeleteCommand,
  getCommand as semanticGetCommand,
  setCommand as semanticSetCommand,
  statsCommand as semanticStatsCommand,
  type SemanticMatch,
  type SemanticServerStats,
} from './commands/index.js';
