import { describeTransportConformance, redisServerMissing, startRedisCluster, startRedisServer } from '@ferrite/testkit';
import { createClient, createCluster } from 'redis';
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
    { protocol, skip, redisServer: true },
  );

  // A Redis Cluster of 3 primaries through the user's createCluster client.
  describeTransportConformance(
    `node-redis cluster RESP${protocol}`,
    async () => {
      const cluster = await startRedisCluster(3);
      const client = createCluster({
        rootNodes: cluster.nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
        RESP: protocol,
      });
      client.on('error', () => {});
      await client.connect();
      return {
        transport: nodeRedisTransport(client, { closeClient: true }),
        teardown: () => cluster.stop(),
      };
    },
    { protocol, skip, redisServer: true, cluster: { primaries: 3 } },
  );
}
