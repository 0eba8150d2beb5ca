import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport, type NodeRedisClient, type NodeRedisCluster } from '@ferrite/node-redis';
import type { FaultTarget } from '@ferrite/testkit';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClient, GlideClusterClient, type GlideClientConfiguration, type GlideClusterClientConfiguration } from '@valkey/valkey-glide';
import type { Cluster, Redis } from 'ioredis';

/** A user's ioredis client or cluster, handed to the transport, which closes it. */
export function ioredisTarget(client: Redis | Cluster): FaultTarget {
  client.on('error', () => {});
  return { transport: ioredisTransport(client, { closeClient: true }), teardown: async () => client.disconnect() };
}

/** What the fault suite does with a node-redis client or cluster client before the transport gets it. */
interface NodeRedisConnectable {
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
  readonly isOpen: boolean;
}

/** A user's node-redis client or cluster client, connected and handed to the transport, which closes it. */
export async function nodeRedisTarget(client: (NodeRedisClient | NodeRedisCluster) & NodeRedisConnectable): Promise<FaultTarget> {
  client.on('error', () => {});
  await client.connect();
  return {
    transport: nodeRedisTransport(client, { closeClient: true }),
    teardown: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

/**
 * A GLIDE client or cluster client created from `configuration`, handed to the transport with
 * that configuration (for dedicated connections), which closes it.
 */
export async function glideTarget(configuration: GlideClientConfiguration | GlideClusterClientConfiguration, cluster: boolean): Promise<FaultTarget> {
  // Reconnect attempts close together, as the other drivers make them: a node that comes back is
  // found within the suite's waits.
  configuration = { ...configuration, connectionBackoff: { numberOfRetries: 4, factor: 50, exponentBase: 2 } };
  const client = cluster ? await GlideClusterClient.createClient(configuration as GlideClusterClientConfiguration) : await GlideClient.createClient(configuration);
  return { transport: glideTransport(client, { configuration, closeClient: true }), teardown: async () => client.close() };
}
