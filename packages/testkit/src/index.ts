export { describeTransportConformance, type ConformanceOptions, type ConformanceTarget, type HeldConnection } from './conformance.js';
export { freePort, redisServerMissing, startRedisServer, type RedisServer } from './redis-server.js';
export { startRedisCluster, type RedisCluster, type RedisClusterNode, type RedisClusterOptions } from './redis-cluster.js';
export { describeFaultSuite, faultSuiteProbe, type FaultProxyControls, type FaultServer, type FaultSuiteOptions, type FaultSuiteSetup, type FaultTarget } from './faults.js';
export { readmeExampleIn } from './readme-example.js';
