import { describeFaultSuite } from '@ferrite/testkit';
import { describeClusterNodeDown } from './cluster-node-down.js';
import { glideClusterFaultSetup } from './fault-targets.js';
import { GLIDE_SOCKETS_UNCHECKED } from './index.js';

// The fault suite on GLIDE's cluster client, through the proxies (addressResolver).
describeFaultSuite('valkey-glide GlideClusterClient', glideClusterFaultSetup, { socketsUnchecked: GLIDE_SOCKETS_UNCHECKED });
describeClusterNodeDown('valkey-glide GlideClusterClient', glideClusterFaultSetup);
