import { readNullableText, slotOf } from '@ferrite/core';
import { faultProxy, memoryTransport, startEmulator, startEmulatorCluster, type Emulator, type FaultProxy } from '@ferrite/emulator';
import type { FaultProxyControls, FaultServer } from '@ferrite/testkit';

/**
 * The servers the fault suite (`describeFaultSuite`) runs against: an emulator, or an emulator
 * cluster, with a fault proxy in front of each node. Their state stays readable in process,
 * whatever the proxies do and after a kill.
 */

/** The integer at `key` on `emulator` (0 when missing), read in process. */
async function counterOn(emulator: Emulator, key: string): Promise<number> {
  const reader = memoryTransport({ emulator });
  try {
    return Number(readNullableText(await reader.send({ name: 'GET', args: [key] })) ?? 0);
  } finally {
    await reader.close();
  }
}

/**
 * Calls `listener` as one of `emulators` logs a write of `key` to its change log: synchronously,
 * inside the command, so before its reply is written to the socket.
 */
function onWriteOf(emulators: readonly Emulator[], key: string, listener: () => void): () => void {
  const stops = emulators.map((emulator) =>
    emulator.changeLog.onAppend((event) => {
      if (event.key === key) listener();
    }),
  );
  return () => {
    for (const stop of stops) stop();
  };
}

/** One emulator over TCP behind one fault proxy. */
export async function emulatorFaultServer(): Promise<FaultServer> {
  const running = await startEmulator();
  const proxy = await faultProxy({ target: { port: running.port } }).catch(async (error: unknown) => {
    await running.close();
    throw error;
  });
  return {
    proxy,
    proxyOf: () => proxy,
    counter: (key) => counterOn(running.emulator, key),
    onWrite: (key, listener) => onWriteOf([running.emulator], key, listener),
    kill: () => running.close(),
    async close() {
      await proxy.close();
      await running.close();
    },
  };
}

/** The proxies switched together; `host` and `port` are the first one's (a client's seed). */
function everyProxy(proxies: readonly FaultProxy[]): FaultProxyControls {
  const seed = proxies[0] as FaultProxy;
  return {
    host: seed.host,
    port: seed.port,
    passThrough: () => proxies.forEach((proxy) => proxy.passThrough()),
    delay: (ms) => proxies.forEach((proxy) => proxy.delay(ms)),
    blackhole: (on) => proxies.forEach((proxy) => proxy.blackhole(on)),
    cut: async (options) => void (await Promise.all(proxies.map((proxy) => proxy.cut(options)))),
    refuseNewConnections: (on) => proxies.forEach((proxy) => proxy.refuseNewConnections(on)),
    close: async () => void (await Promise.all(proxies.map((proxy) => proxy.close()))),
  };
}

/** Primaries of the fault suite's clusters. */
const PRIMARIES = 3;

/** A cluster server for the fault suite, and where a client must connect for each node it announces. */
export interface ClusterFaultServer extends FaultServer {
  /**
   * For each address the cluster announces (`host:port`), its proxy: what ioredis' `natMap` and
   * node-redis' `nodeAddressMap` take, so every connection of a cluster client goes through a proxy.
   */
  readonly addressMap: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
}

/**
 * An emulator cluster of 3 primaries, a fault proxy in front of each. The cluster announces the
 * nodes' own addresses; clients reach them through `addressMap`, as through a NAT. `kill()`
 * takes the first primary (the clients' seed) away: its proxy closes every connection and refuses
 * new ones, which is what a client sees of a killed node, while its data stays readable. Slots
 * never move, so the node serving a key is the one the initial layout gives it.
 */
export async function emulatorClusterFaultServer(): Promise<ClusterFaultServer> {
  const cluster = await startEmulatorCluster({ primaries: PRIMARIES });
  const primaries = cluster.nodes.filter((node) => node.role === 'primary');
  let proxies: FaultProxy[];
  try {
    proxies = await Promise.all(primaries.map((node) => faultProxy({ target: { host: node.host, port: node.port } })));
  } catch (error) {
    await cluster.close();
    throw error;
  }
  // The initial layout of 3 primaries, as `redis-cli --cluster create` splits the slots.
  const indexOf = (key: string) => {
    const slot = slotOf(key);
    return slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
  };
  const emulators = primaries.map((node) => node.emulator);
  return {
    proxy: everyProxy(proxies),
    proxyOf: (key) => proxies[indexOf(key)] as FaultProxy,
    addressMap: Object.fromEntries(primaries.map((node, i) => [`${node.host}:${node.port}`, { host: (proxies[i] as FaultProxy).host, port: (proxies[i] as FaultProxy).port }])),
    counter: (key) => counterOn(emulators[indexOf(key)] as Emulator, key),
    onWrite: (key, listener) => onWriteOf(emulators, key, listener),
    kill: () => (proxies[0] as FaultProxy).close(),
    async close() {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await cluster.close();
    },
  };
}
