import { describeFaultSuite } from '@ferrite/testkit';
import { ioredisFaultSetup } from './fault-targets.js';

// The transport's own connection: the user's client has ioredis' defaults, so the transport
// duplicates it with the settings it needs. (One file per setup: the suites run in parallel.)
describeFaultSuite('ioredis (connection created by the transport)', ioredisFaultSetup({}));
