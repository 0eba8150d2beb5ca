import { describeFaultSuite, type FaultSuiteSetup } from '@ferrite/testkit';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import { emulatorFaultServer } from './fault-servers.js';
import { glideTarget, ioredisTarget, nodeRedisTarget } from './fault-targets.js';
import { GLIDE_FAULT_REQUEST_TIMEOUT_MS, GLIDE_SOCKETS_UNCHECKED } from './index.js';

/** An ioredis client passed to the transport, which closes it. */
function ioredisSetup(options: RedisOptions): FaultSuiteSetup {
  return {
    start: emulatorFaultServer,
    connect: async ({ proxy: { host, port } }) => ioredisTarget(new Redis({ host, port, ...options })),
  };
}

// The transport's own connection: the user's client has ioredis' defaults, so the transport
// duplicates it with the settings it needs.
describeFaultSuite('ioredis (connection created by the transport)', ioredisSetup({}));

// Decoder settings as the transport needs, but ioredis' default autoResendUnfulfilledCommands:
// the transport must still not use it directly, or a lost INCR would be sent again.
describeFaultSuite('ioredis (passed in with autoResendUnfulfilledCommands left on)', ioredisSetup({ stringNumbers: true, replyMapping: 'resp3' }));

// The README's direct setup: used as it is.
describeFaultSuite(
  'ioredis (README direct setup)',
  ioredisSetup({ stringNumbers: true, replyMapping: 'resp3', autoResendUnfulfilledCommands: false }),
);

describeFaultSuite('node-redis', {
  start: emulatorFaultServer,
  connect: ({ proxy: { host, port } }) => nodeRedisTarget(createClient({ socket: { host, port } })),
});

// GLIDE's own deadline is beyond the suite's core deadlines; its sockets outlive close().
describeFaultSuite(
  'valkey-glide',
  {
    start: emulatorFaultServer,
    connect: ({ proxy: { host, port } }) => glideTarget({ addresses: [{ host, port }], requestTimeout: GLIDE_FAULT_REQUEST_TIMEOUT_MS }, false),
  },
  { socketsUnchecked: GLIDE_SOCKETS_UNCHECKED },
);
