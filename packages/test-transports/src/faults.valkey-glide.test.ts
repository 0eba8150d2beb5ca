import { describeFaultSuite } from '@ferrite/testkit';
import { glideFaultSetup } from './fault-targets.js';
import { GLIDE_SOCKETS_UNCHECKED } from './index.js';

// GLIDE's own deadline is beyond the suite's core deadlines; its sockets outlive close().
describeFaultSuite('valkey-glide', glideFaultSetup, { socketsUnchecked: GLIDE_SOCKETS_UNCHECKED });
