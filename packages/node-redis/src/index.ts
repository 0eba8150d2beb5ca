export { nodeRedisTransport, type NodeRedisClient, type NodeRedisCluster, type NodeRedisTransportOptions } from './transport.js';
