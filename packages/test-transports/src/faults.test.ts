import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { describeFaultSuite, type FaultSuiteSetup, type FaultTarget } from '@ferrite/testkit';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import { emulatorFaultServer } from './fault-servers.js';

/** An ioredis client passed to the transport, which closes it. */
function ioredisSetup(options: RedisOptions): FaultSuiteSetup {
  return {
    start: emulatorFaultServer,
    async connect({ proxy: { host, port } }): Promise<FaultTarget> {
      const client = new Redis({ host, port, ...options });
      client.on('error', () => {});
      return { transport: ioredisTransport(client, { closeClient: true }), teardown: async () => client.disconnect() };
    },
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
  async connect({ proxy: { host, port } }): Promise<FaultTarget> {
    const client = createClient({ socket: { host, port } });
    client.on('error', () => {});
    await client.connect();
    return {
      transport: nodeRedisTransport(client, { closeClient: true }),
      teardown: async () => {
        if (client.isOpen) client.destroy();
      },
    };
  },
});
