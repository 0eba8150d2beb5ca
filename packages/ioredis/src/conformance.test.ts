import { redisServerMissing, startRedisCluster, startRedisServer, describeTransportConformance, type RedisServer } from '@ferrite/testkit';
import { Cluster, Redis } from 'ioredis';
import { ioredisTransport } from './index.js';

const skip = redisServerMissing();

for (const protocol of [2, 3] as const) {
  // The user's client as most people write it: ioredis defaults, reply shapes of its own.
  describeTransportConformance(
    `ioredis RESP${protocol}`,
    async () => {
      const server: RedisServer = await startRedisServer();
      const client = new Redis({ host: server.host, port: server.port, protocol, lazyConnect: true });
      await client.connect();
      return {
        transport: ioredisTransport(client),
        teardown: async () => {
          client.disconnect();
          await server.stop();
        },
      };
    },
    { protocol, skip, redisServer: true },
  );

  // Auto-pipelining batches the commands of one tick on the connection; replies must not mix.
  describeTransportConformance(
    `ioredis RESP${protocol} (enableAutoPipelining)`,
    async () => {
      const server: RedisServer = await startRedisServer();
      const client = new Redis({ host: server.host, port: server.port, protocol, enableAutoPipelining: true });
      return {
        transport: ioredisTransport(client, { closeClient: true }),
        teardown: () => server.stop(),
      };
    },
    { protocol, skip, redisServer: true },
  );

  // A client already configured as the transport needs is used as it is, without a duplicate.
  describeTransportConformance(
    `ioredis RESP${protocol} (client used directly)`,
    async () => {
      const server: RedisServer = await startRedisServer();
      const client = new Redis({
        host: server.host,
        port: server.port,
        protocol,
        stringNumbers: true,
        autoResendUnfulfilledCommands: false,
        ...(protocol === 3 ? { replyMapping: 'resp3' as const } : {}),
      });
      return {
        transport: ioredisTransport(client, { closeClient: true }),
        teardown: () => server.stop(),
      };
    },
    { protocol, skip, redisServer: true },
  );

  // A Redis Cluster of 3 primaries, the user's Cluster client with ioredis defaults.
  describeTransportConformance(
    `ioredis cluster RESP${protocol}`,
    async () => {
      const cluster = await startRedisCluster(3);
      const client = new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port })), { redisOptions: { protocol } });
      client.on('error', () => {});
      return {
        transport: ioredisTransport(client, { closeClient: true }),
        teardown: () => cluster.stop(),
      };
    },
    { protocol, skip, redisServer: true, cluster: { primaries: 3 } },
  );
}
