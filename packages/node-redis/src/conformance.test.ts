import { describeTransportConformance, redisServerMissing, startRedisServer } from '@ferrite/testkit';
import { createClient } from 'redis';
import { nodeRedisTransport } from './index.js';

const skip = redisServerMissing();

for (const protocol of [2, 3] as const) {
  describeTransportConformance(
    `node-redis RESP${protocol}`,
    async () => {
      const server = await startRedisServer();
      const client = createClient({ url: server.url, RESP: protocol });
      client.on('error', () => {});
      await client.connect();
      return {
        transport: nodeRedisTransport(client),
        async teardown() {
          // The transport does not close the user's client (no closeClient): that is ours to do.
          if (client.isOpen) await client.close();
          await server.stop();
        },
      };
    },
    { protocol, skip },
  );
}
