import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport, type NodeRedisClient, type NodeRedisCluster } from '@ferrite/node-redis';
import type { FaultSuiteSetup, FaultTarget } from '@ferrite/testkit';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { emulatorClusterFaultServer, emulatorFaultServer, type ClusterFaultServer } from './fault-servers.js';

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

/*
 * The fault suite's setups, one per way a user hands a driver to a transport. Each test file runs
 * one of them (a file per setup, so the suites run in parallel on separate workers).
 */

/** One emulator behind a proxy, an ioredis client made with `options` passed to the transport. */
export function ioredisFaultSetup(options: RedisOptions): FaultSuiteSetup {
  return {
    start: emulatorFaultServer,
    connect: async ({ proxy: { host, port } }) => ioredisTarget(new Redis({ host, port, ...options })),
  };
}

/** One emulator behind a proxy, a node-redis client passed to the transport. */
export const nodeRedisFaultSetup: FaultSuiteSetup = {
  start: emulatorFaultServer,
  connect: ({ proxy: { host, port } }) => nodeRedisTarget(createClient({ socket: { host, port } })),
};

/*
 * The cluster setups: an emulator cluster of 3 primaries with a fault proxy in front of each,
 * reached through ioredis' `natMap` and node-redis' `nodeAddressMap` (the cluster announces the
 * nodes' own addresses), the user's cluster client connected as usual.
 */

export const ioredisClusterFaultSetup = {
  start: emulatorClusterFaultServer,
  connect: async ({ proxy: seed, addressMap }) => ioredisTarget(new Cluster([{ host: seed.host, port: seed.port }], { natMap: addressMap })),
} satisfies FaultSuiteSetup<ClusterFaultServer>;

export const nodeRedisClusterFaultSetup = {
  start: emulatorClusterFaultServer,
  connect: ({ proxy: seed, addressMap }) =>
    nodeRedisTarget(createCluster({ rootNodes: [{ socket: { host: seed.host, port: seed.port } }], nodeAddressMap: addressMap })),
} satisfies FaultSuiteSetup<ClusterFaultServer>;
