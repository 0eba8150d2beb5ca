import { describeFaultSuite } from '@ferrite/testkit';
import { describeClusterNodeDown } from './cluster-node-down.js';
import { ioredisClusterFaultSetup } from './fault-targets.js';

// The fault suite on the cluster transports, a file per driver so the two run in parallel.
describeFaultSuite('ioredis Cluster', ioredisClusterFaultSetup);
describeClusterNodeDown('ioredis Cluster', ioredisClusterFaultSetup);
