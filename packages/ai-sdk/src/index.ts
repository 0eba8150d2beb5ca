export { semanticCacheMiddleware, type SemanticCacheClient } from './middleware.js';
export { DEFAULT_LOOKUP_TIMEOUT_MS, DEFAULT_NAMESPACE, DEFAULT_TTL_SECONDS, type SemanticCacheMiddlewareOptions } from './options.js';
export type { HistoryMode } from './key.js';
