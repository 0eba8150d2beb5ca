export { describeTransportConformance, type ConformanceOptions, type ConformanceTarget, type HeldConnection } from './conformance.js';
export { freePort, redisServerMissing, startRedisCluster, startRedisServer, type RedisCluster, type RedisClusterOptions, type RedisServer } from './redis-server.js';
export { describeFaultSuite, type FaultProxyControls, type FaultServer, type FaultSuiteOptions, type FaultSuiteSetup, type FaultTarget } from './faults.js';
export { readmeExampleIn } from './readme-example.js';
