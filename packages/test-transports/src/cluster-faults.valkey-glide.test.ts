import { describeFaultSuite } from '@ferrite/testkit';
import { describeClusterNodeDown } from './cluster-node-down.js';
import { glideClusterFaultSetup } from './fault-targets.js';
import { GLIDE_SOCKETS_UNCHECKED } from './index.js';

// GLIDE's cluster client fails a request it has no connection for at once, and retries a request
// by itself up to three times, after errors some of which come once it was written: only the last
// attempt is known unwritten.
const UNWRITTEN_UNKNOWN = 'GLIDE knows only its last attempt unwritten';

// The fault suite on GLIDE's cluster client, through the proxies (addressResolver).
describeFaultSuite('valkey-glide GlideClusterClient', glideClusterFaultSetup, { socketsUnchecked: GLIDE_SOCKETS_UNCHECKED, rejectsWhileReconnecting: UNWRITTEN_UNKNOWN });
describeClusterNodeDown('valkey-glide GlideClusterClient', glideClusterFaultSetup, { unwrittenUnknown: UNWRITTEN_UNKNOWN });
