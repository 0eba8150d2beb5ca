import { slotOf, type Transport } from '@ferrite/core';
import {
  Emulator,
  memoryTransport,
  startEmulator,
  startEmulatorCluster,
  type EmulatorClusterNode,
  type EmulatorOptions,
  type RunningEmulatorCluster,
} from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClient, GlideClusterClient, Logger, ProtocolVersion, type GlideClientConfiguration, type GlideClusterClientConfiguration } from '@valkey/valkey-glide';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILOVER_NODE_TIMEOUT_MS, failOver } from './cluster-failover.js';

export { FAILOVER_NODE_TIMEOUT_MS, eventually, failOver, liveHandles, replicaOf } from './cluster-failover.js';

export type Driver = 'memory' | 'ioredis' | 'node-redis' | 'valkey-glide';

/** The drivers with a cluster client. */
export type ClusterDriver = Exclude<Driver, 'memory'>;

// GLIDE's Rust core logs to stdout unless told otherwise.
Logger.init('off');

export interface TransportTarget {
  readonly driver: Driver;
  readonly protocol: 2 | 3;
  /** Over an emulator cluster of 3 primaries, through the driver's cluster client. */
  readonly cluster: boolean;
  readonly label: string;
}

/** Every transport the SDK ships, in both protocol versions, on one node. */
export const transportTargets: readonly TransportTarget[] = (['memory', 'ioredis', 'node-redis', 'valkey-glide'] as const).flatMap((driver) =>
  ([2, 3] as const).map((protocol) => ({ driver, protocol, cluster: false, label: `${driver} RESP${protocol}` })),
);

/** The single-node TCP targets (ioredis, node-redis and valkey-glide, RESP2 and RESP3): the ones a fault proxy can sit in front of. */
export const proxiedTargets: readonly TransportTarget[] = transportTargets.filter((target) => target.driver !== 'memory');

/** The cluster transports (ioredis `Cluster`, node-redis `createCluster`, GLIDE `GlideClusterClient`) over a 3-primary emulator cluster, RESP2 and RESP3. */
export const clusterTransportTargets: readonly TransportTarget[] = (['ioredis', 'node-redis', 'valkey-glide'] as const).flatMap((driver) =>
  ([2, 3] as const).map((protocol) => ({ driver, protocol, cluster: true, label: `${driver} cluster RESP${protocol}` })),
);

/**
 * Whether the target's driver reads integers beyond ±(2^53 − 1) exactly (GLIDE rounds them, so its
 * transport refuses them): see `ConformanceOptions.exactIntegers`.
 */
export function readsExactIntegers(target: TransportTarget): boolean {
  return target.driver !== 'valkey-glide';
}

/** GLIDE's protocol setting for a target's protocol. */
export function glideProtocol(protocol: 2 | 3): ProtocolVersion {
  return protocol === 2 ? ProtocolVersion.RESP2 : ProtocolVersion.RESP3;
}

/**
 * GLIDE's deadline for one request, in the plugin suites: longer than any core deadline plus
 * blocking wait a suite sets (CDC polls block up to 30 s), so that core's deadline is the one that
 * fires (as the package's README advises).
 */
export const GLIDE_REQUEST_TIMEOUT_MS = 60_000;

/**
 * GLIDE's deadline in the fault suites: just beyond core's default deadline (10 s), the longest
 * the suites use, so that core's deadline fires first, and short enough that a connection GLIDE
 * keeps until its requests end (after `close()`, under a blackhole) ends soon after.
 */
export const GLIDE_FAULT_REQUEST_TIMEOUT_MS = 11_000;

/**
 * Why the fault suites cannot check GLIDE's sockets after `close()` (`FaultSuiteOptions.socketsUnchecked`):
 * there is no bound to wait for (glide-close-linger.test.ts shows it).
 */
export const GLIDE_SOCKETS_UNCHECKED = "GLIDE's Rust core keeps a connection whose request a blackhole holds open after close(), for over 150 s whatever its requestTimeout";

/** A GLIDE transport to one server at `host:port` (a proxy in front of it, say), closing its client with it. */
export async function glideTransportTo(host: string, port: number, protocol: 2 | 3): Promise<Transport> {
  const configuration: GlideClientConfiguration = { addresses: [{ host, port }], protocol: glideProtocol(protocol), requestTimeout: GLIDE_REQUEST_TIMEOUT_MS };
  return glideTransport(await GlideClient.createClient(configuration), { configuration, closeClient: true });
}

/** Primaries of the emulator cluster the cluster targets run on. */
export const CLUSTER_PRIMARIES = 3;

/** How long ioredis waits for an ended connection to close before it destroys it (its default is 2 s). */
const IOREDIS_DISCONNECT_TIMEOUT_MS = 200;

/** A cluster transport over `cluster`, through the driver's own cluster client (closed with the transport). */
export async function connectClusterTransport(cluster: RunningEmulatorCluster, driver: ClusterDriver, protocol: 2 | 3): Promise<Transport> {
  const seeds = cluster.nodes.filter((node) => node.role === 'primary' && node.alive);
  if (driver === 'valkey-glide') {
    const configuration: GlideClusterClientConfiguration = {
      addresses: seeds.map(({ host, port }) => ({ host, port })),
      protocol: glideProtocol(protocol),
      requestTimeout: GLIDE_REQUEST_TIMEOUT_MS,
    };
    return glideTransport(await GlideClusterClient.createClient(configuration), { configuration, closeClient: true });
  }
  if (driver === 'ioredis') {
    const client = new Cluster(
      seeds.map(({ host, port }) => ({ host, port })),
      // ioredis ends the connection of a slot-table read that failed (a node down mid-failover)
      // with a timer of `disconnectTimeout` (2 s by default) that nothing clears: a test that
      // checks what outlives close() would measure ioredis' timer, not the transport.
      { redisOptions: { protocol, disconnectTimeout: IOREDIS_DISCONNECT_TIMEOUT_MS } },
    );
    client.on('error', () => {});
    return ioredisTransport(client, { closeClient: true });
  }
  const client = createCluster({ rootNodes: seeds.map(({ url }) => ({ url })), RESP: protocol });
  client.on('error', () => {});
  await client.connect();
  return nodeRedisTransport(client, { closeClient: true });
}

/** The primary of `cluster` that serves `key`'s slot now (asked of a node's engine in process, no socket). */
export async function clusterNodeFor(cluster: RunningEmulatorCluster, key: string): Promise<EmulatorClusterNode> {
  const slot = slotOf(key);
  // A killed node's engine keeps the slot map it had when it died: ask one that is up.
  const seed = cluster.nodes.find((node) => node.role === 'primary' && node.alive) as EmulatorClusterNode;
  const session = seed.emulator.createSession({ protocol: 2 });
  let text: string;
  try {
    const reply = await seed.emulator.execute(session, [Buffer.from('CLUSTER'), Buffer.from('NODES')]);
    text = 'value' in reply ? String(reply.value) : '';
  } finally {
    session.close();
  }
  // One line per node: `<id> <addr> <flags> <primary> <ping> <pong> <epoch> <link> <slot ranges…>`.
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (!(fields[2] ?? '').includes('master')) continue;
    for (const range of fields.slice(8)) {
      if (range.startsWith('[')) continue;
      const [start = -1, end = start] = range.split('-').map(Number);
      if (slot >= start && slot <= end) {
        const node = cluster.nodes.find((candidate) => candidate.id === fields[0]);
        if (node !== undefined) return node;
      }
    }
  }
  throw new Error(`no primary serves slot ${slot}`);
}

/** Total MOVED replies the primaries of `cluster` have sent. */
export function movedCount(cluster: RunningEmulatorCluster): number {
  return cluster.nodes.reduce((sum, node) => sum + node.redirects.moved, 0);
}

export interface TransportHarness {
  readonly target: TransportTarget;
  /** The transport under test; available from the suite's own `beforeAll` on. */
  readonly transport: Transport;
  /**
   * The emulator behind it (in-process, or serving the TCP port the driver connects to). On a
   * cluster target there is one per node: this throws; use {@link emulatorFor}.
   */
  readonly emulator: Emulator;
  /** The emulator that holds `key` now: the only one on a single node, the slot's owner on a cluster. */
  emulatorFor(key: string): Promise<Emulator>;
  /** Commands the server processed so far: on a cluster, summed over every node. */
  commandsProcessed(): number;
  /**
   * Cluster targets: moves the slot of `key` (with everything in it) to another primary, a few
   * items at a time, while `during` runs; once both are done, runs `after` (the first commands to
   * the slot since the move, which learn the new owner from a `MOVED`). The `MOVED` replies sent
   * meanwhile are the move's, not steady state: they do not count against the suite's zero-MOVED
   * check. Rejects on a single-node target.
   */
  withSlotMoving(key: string, during: () => Promise<void>, after?: () => Promise<void>): Promise<void>;
  /** The emulator cluster on a cluster target, `undefined` otherwise. */
  readonly cluster: RunningEmulatorCluster | undefined;
}

export interface EachTransportOptions {
  /** Options for each target's fresh emulator (a fake clock for TTL tests, …); on a cluster, for every node. */
  readonly emulatorOptions?: () => EmulatorOptions;
  /** Only these drivers. */
  readonly drivers?: readonly Driver[];
  /**
   * Also run on the cluster targets ({@link clusterTransportTargets}), each followed by a check
   * that the primaries sent no `MOVED` while the suite ran: in steady state the transports route
   * every command to its slot's owner, and plugin commands carry their routing key.
   */
  readonly cluster?: boolean;
}

/** A transport over a fresh emulator of its own, and how to close both. */
export interface Opened {
  readonly transport: Transport;
  readonly emulator: Emulator;
  close(): Promise<void>;
}

/** A single-node target's {@link Opened}, or a cluster target's: its cluster, no one emulator. */
export interface OpenedTarget {
  readonly transport: Transport;
  readonly emulator: Emulator | undefined;
  readonly cluster: RunningEmulatorCluster | undefined;
  close(): Promise<void>;
}

/**
 * Opens any target, single node or cluster (a fresh 3-primary emulator cluster), for a test that
 * runs the same calls on every transport itself; {@link describeEachTransport} opens them the same way.
 */
export async function openTarget(target: TransportTarget, options: EmulatorOptions = {}): Promise<OpenedTarget> {
  if (target.cluster) {
    if (target.driver === 'memory') throw new Error('the memory transport has no cluster mode');
    const cluster = await startEmulatorCluster({ ...options, primaries: CLUSTER_PRIMARIES });
    try {
      const transport = await connectClusterTransport(cluster, target.driver, target.protocol);
      return { transport, emulator: undefined, cluster, close: async () => (await transport.close(), await cluster.close()) };
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }
  return { ...(await openTransport(target, options)), cluster: undefined };
}

/** Opens single-node `target` over a fresh emulator, for a test that needs several transports at once. */
export async function openTransport(target: TransportTarget, options: EmulatorOptions = {}): Promise<Opened> {
  if (target.cluster) throw new Error('openTransport opens single-node targets; a cluster target runs through describeEachTransport');
  const emulator = new Emulator(options);
  if (target.driver === 'memory') {
    const transport = memoryTransport({ emulator, protocol: target.protocol });
    return { transport, emulator, close: () => transport.close() };
  }
  const server = await startEmulator({ emulator });
  if (target.driver === 'valkey-glide') {
    const transport = await glideTransportTo(server.host, server.port, target.protocol);
    return { transport, emulator, close: async () => (await transport.close(), await server.close()) };
  }
  if (target.driver === 'ioredis') {
    const client = new Redis({ host: server.host, port: server.port, protocol: target.protocol, lazyConnect: true });
    await client.connect();
    const transport = ioredisTransport(client, { closeClient: true });
    return { transport, emulator, close: async () => (await transport.close(), await server.close()) };
  }
  const client = createClient({ url: server.url, RESP: target.protocol });
  await client.connect();
  const transport = nodeRedisTransport(client, { closeClient: true });
  return { transport, emulator, close: async () => (await transport.close(), await server.close()) };
}

/**
 * Runs a plugin suite once per transport target: in-process on the memory transport, and over
 * real TCP against the emulator through ioredis, node-redis and Valkey GLIDE, each in RESP2 and RESP3.
 */
export function describeEachTransport(
  name: string,
  suite: (harness: TransportHarness) => void,
  options: EachTransportOptions = {},
): void {
  const targets = [...transportTargets, ...(options.cluster ? clusterTransportTargets : [])].filter(
    (t) => !options.drivers || options.drivers.includes(t.driver),
  );
  for (const target of targets) {
    describe(`${name} (${target.label})`, () => {
      let opened: OpenedTarget | undefined;
      let movedWhileMoving = 0;
      const unopened = (): never => {
        throw new Error('the transport harness is only available inside beforeAll/it');
      };
      const harness: TransportHarness = {
        target,
        get transport() {
          return opened?.transport ?? unopened();
        },
        get emulator() {
          if (opened === undefined) return unopened();
          if (opened.emulator === undefined) throw new Error('a cluster has one emulator per node: use harness.emulatorFor(key)');
          return opened.emulator;
        },
        async emulatorFor(key) {
          if (opened === undefined) return unopened();
          return opened.emulator ?? (await clusterNodeFor(opened.cluster as RunningEmulatorCluster, key)).emulator;
        },
        commandsProcessed() {
          if (opened === undefined) return unopened();
          if (opened.emulator !== undefined) return opened.emulator.stats.commandsProcessed;
          return (opened.cluster as RunningEmulatorCluster).nodes.reduce((sum, node) => sum + node.emulator.stats.commandsProcessed, 0);
        },
        get cluster() {
          return opened === undefined ? unopened() : opened.cluster;
        },
        async withSlotMoving(key, during, after) {
          const cluster = opened?.cluster;
          if (cluster === undefined) throw new Error('withSlotMoving needs a cluster target');
          const owner = await clusterNodeFor(cluster, key);
          const to = cluster.nodes.find((node) => node.role === 'primary' && node.id !== owner.id) as EmulatorClusterNode;
          const before = movedCount(cluster);
          try {
            await Promise.all([during(), cluster.moveSlot(slotOf(key), to.id, { itemsPerStep: 1, stepDelayMs: 10 })]);
            await after?.();
          } finally {
            movedWhileMoving += movedCount(cluster) - before;
          }
        },
      };
      beforeAll(async () => {
        opened = await openTarget(target, options.emulatorOptions?.() ?? {});
      });
      afterAll(async () => {
        await opened?.close();
      });
      suite(harness);
      if (target.cluster) {
        // Registered last, so it runs after every case of the suite (vitest runs a file's tests in order).
        it('sent every command to its slot owner: no MOVED from any primary while the suite ran (slot moves aside)', () => {
          expect(movedCount(opened?.cluster as RunningEmulatorCluster) - movedWhileMoving).toBe(0);
        });
      }
    });
  }
}
export { connectThrough, openProxiedTransport, type ProxiedTransport } from './proxied.js';

/**
 * What a {@link describeEachClusterFailover} case gets: a cluster transport over the file's emulator
 * cluster ({@link CLUSTER_PRIMARIES} primaries with a replica each, shared by every case of the file).
 */
export interface FailoverCase {
  /** The cluster target the case runs on (its test is named after it). */
  readonly target: TransportTarget;
  /** Through the case's driver, over the file's cluster; closed after the case. */
  readonly transport: Transport;
  /** Unique to this case: a hash tag its keys can share, so nothing it reads was written by another case. */
  readonly tag: string;
  /**
   * Reads with `read`, fails over by hand the primary that owns `key`'s slot (nothing lost: the
   * replica catches up first), then checks that `read` gives the same reading through the new
   * primary (no retry of the test's own: within core's deadline), and that a third reading, once
   * the transport has followed the failover's `MOVED`, is not redirected. Resolves to the reading.
   */
  readThroughFailover<Reading>(key: string, read: () => Promise<Reading>): Promise<Reading>;
}

/**
 * A plugin's operations through a failover, once per cluster target (ioredis `Cluster` and
 * node-redis `createCluster`, RESP2 and RESP3), on one emulator cluster with a replica per
 * primary started for the whole file. Each case gets a fresh transport and a tag of its own.
 */
export function describeEachClusterFailover(name: string, run: (failover: FailoverCase) => Promise<void>): void {
  describe(`${name} through a failover`, () => {
    let cluster: RunningEmulatorCluster | undefined;
    beforeAll(async () => {
      cluster = await startEmulatorCluster({ primaries: CLUSTER_PRIMARIES, replicas: 1, nodeTimeout: FAILOVER_NODE_TIMEOUT_MS });
    });
    afterAll(async () => {
      await cluster?.close();
    });
    for (const target of clusterTransportTargets) {
      it(target.label, { timeout: 60_000 }, async () => {
        const running = cluster as RunningEmulatorCluster;
        const transport = await connectClusterTransport(running, target.driver as 'ioredis' | 'node-redis', target.protocol);
        try {
          await run({
            target,
            transport,
            tag: `{failover:${target.driver}:${target.protocol}}`,
            readThroughFailover: async (key, read) => {
              const reading = await read();
              const owner = failOver(running, await clusterNodeFor(running, key));
              const processed = owner.emulator.stats.commandsProcessed;
              expect(await read(), 'the same reading through the new primary').toEqual(reading);
              expect(owner.emulator.stats.commandsProcessed, 'commands reached the new primary').toBeGreaterThan(processed);
              const moved = movedCount(running);
              await read();
              expect(movedCount(running), 'MOVED replies once the transport followed the failover').toBe(moved);
              return reading;
            },
          });
        } finally {
          await transport.close();
        }
      });
    }
  });
}
