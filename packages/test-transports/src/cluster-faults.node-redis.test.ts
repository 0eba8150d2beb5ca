import { describeFaultSuite } from '@ferrite/testkit';
import { describeClusterNodeDown } from './cluster-node-down.js';
import { nodeRedisClusterFaultSetup } from './fault-targets.js';

// The fault suite on the cluster transports, a file per driver so the two run in parallel.
describeFaultSuite('node-redis createCluster', nodeRedisClusterFaultSetup);
describeClusterNodeDown('node-redis createCluster', nodeRedisClusterFaultSetup);
