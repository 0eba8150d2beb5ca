export {
  FerriteVectorStore,
  type FerriteAddOptions,
  type FerriteDeleteOptions,
  type FerriteVectorClient,
  type FerriteVectorStoreOptions,
} from './vector-store.js';
export { similarityFromDistance, type ScoreKind } from './scores.js';
export { CONTENT_FIELD, METADATA_FIELD } from './stored-document.js';
export {
  DEFAULT_CACHE_LOOKUP_TIMEOUT_MS,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_NAMESPACE_PREFIX,
  FerriteSemanticCache,
  type FerriteSemanticCacheOptions,
  type FerriteSemanticClient,
} from './semantic-cache.js';
