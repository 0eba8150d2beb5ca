export { semanticCacheMiddleware, type SemanticCacheClient, type SemanticCacheMiddlewareOptions } from './middleware.js';
