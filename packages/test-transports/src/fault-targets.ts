import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport, type NodeRedisClient, type NodeRedisCluster } from '@ferrite/node-redis';
import type { FaultSuiteSetup, FaultTarget } from '@ferrite/testkit';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClient, GlideClusterClient, type GlideClientConfiguration, type GlideClusterClientConfiguration } from '@valkey/valkey-glide';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { emulatorClusterFaultServer, emulatorFaultServer, type ClusterFaultServer } from './fault-servers.js';
import { GLIDE_FAULT_REQUEST_TIMEOUT_MS } from './index.js';

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

/**
 * ioredis waits 50 ms × attempts before it reconnects: the lost-reply case (100 cuts, each
 * followed by a reconnect) would wait mostly for that. The suite's clients make their first
 * attempt at once, then back off as ioredis does by default, so an outage still takes ioredis'
 * default time to exhaust `maxRetriesPerRequest` (a user's retry strategy is the user's, which
 * the transport keeps).
 */
const reconnectAtOnceFirst = (attempt: number) => (attempt === 1 ? 1 : Math.min(attempt * 50, 2000));

/** One emulator behind a proxy, an ioredis client made with `options` passed to the transport. */
export function ioredisFaultSetup(options: RedisOptions): FaultSuiteSetup {
  return {
    start: emulatorFaultServer,
    connect: async ({ proxy: { host, port } }) => ioredisTarget(new Redis({ host, port, retryStrategy: reconnectAtOnceFirst, ...options })),
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

/**
 * ioredis gives its reading of the slot table 1 s by default, counted from connecting: behind the
 * suite's 400 ms reply delay its handshake alone takes about 800 ms, so it would never read the
 * table again (and never reconnect) while replies are held back. 3 s fits the delay.
 */
const IOREDIS_SLOTS_REFRESH_TIMEOUT_MS = 3000;

export const ioredisClusterFaultSetup = {
  start: emulatorClusterFaultServer,
  connect: async ({ proxy: seed, addressMap }) =>
    ioredisTarget(new Cluster([{ host: seed.host, port: seed.port }], { natMap: addressMap, slotsRefreshTimeout: IOREDIS_SLOTS_REFRESH_TIMEOUT_MS })),
} satisfies FaultSuiteSetup<ClusterFaultServer>;

export const nodeRedisClusterFaultSetup = {
  start: emulatorClusterFaultServer,
  connect: ({ proxy: seed, addressMap }) =>
    nodeRedisTarget(createCluster({ rootNodes: [{ socket: { host: seed.host, port: seed.port } }], nodeAddressMap: addressMap })),
} satisfies FaultSuiteSetup<ClusterFaultServer>;

/**
 * A GLIDE client or cluster client created from `configuration`, handed to the transport with
 * that configuration (for dedicated connections), which closes it. Reconnect attempts close
 * together, as the other drivers make them: a node that comes back is found within the suite's waits.
 */
export async function glideTarget(configuration: GlideClientConfiguration | GlideClusterClientConfiguration, cluster: boolean): Promise<FaultTarget> {
  const settings = { ...configuration, requestTimeout: GLIDE_FAULT_REQUEST_TIMEOUT_MS, connectionBackoff: { numberOfRetries: 4, factor: 50, exponentBase: 2 } };
  const client = cluster ? await GlideClusterClient.createClient(settings as GlideClusterClientConfiguration) : await GlideClient.createClient(settings);
  return { transport: glideTransport(client, { configuration: settings, closeClient: true }), teardown: async () => client.close() };
}

/** One emulator behind a proxy, a GLIDE client passed to the transport. */
export const glideFaultSetup: FaultSuiteSetup = {
  start: emulatorFaultServer,
  connect: ({ proxy: { host, port } }) => glideTarget({ addresses: [{ host, port }] }, false),
};

/** The cluster setup for GLIDE: its `addressResolver` rewrites the addresses the cluster announces to the proxies'. */
export const glideClusterFaultSetup = {
  start: emulatorClusterFaultServer,
  connect: ({ proxy: seed, addressMap }) =>
    glideTarget(
      {
        addresses: [{ host: seed.host, port: seed.port }],
        addressResolver: (host, port) => {
          const proxy = addressMap[`${host}:${port}`];
          return proxy ? [proxy.host, proxy.port] : [host, port];
        },
      },
      true,
    ),
} satisfies FaultSuiteSetup<ClusterFaultServer>;
