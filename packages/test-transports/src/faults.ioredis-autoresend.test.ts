import { describeFaultSuite } from '@ferrite/testkit';
import { ioredisFaultSetup } from './fault-targets.js';

// Decoder settings as the transport needs, but ioredis' default autoResendUnfulfilledCommands:
// the transport must still not use it directly, or a lost INCR would be sent again.
describeFaultSuite('ioredis (passed in with autoResendUnfulfilledCommands left on)', ioredisFaultSetup({ stringNumbers: true, replyMapping: 'resp3' }));
