export { describeTransportConformance, type ConformanceOptions, type ConformanceTarget, type HeldConnection } from './conformance.js';
export { freePort, redisServerMissing, startRedisCluster, startRedisServer, type RedisCluster, type RedisServer } from './redis-server.js';
