import { describeFaultSuite } from '@ferrite/testkit';
import { ioredisFaultSetup } from './fault-targets.js';

// The README's direct setup: used as it is.
describeFaultSuite(
  'ioredis (README direct setup)',
  ioredisFaultSetup({ stringNumbers: true, replyMapping: 'resp3', autoResendUnfulfilledCommands: false }),
);
