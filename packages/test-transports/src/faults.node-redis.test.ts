import { describeFaultSuite } from '@ferrite/testkit';
import { nodeRedisFaultSetup } from './fault-targets.js';

describeFaultSuite('node-redis', nodeRedisFaultSetup);
