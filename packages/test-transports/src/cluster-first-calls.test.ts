import { createFerrite } from '@ferrite/core';
import { faultProxy, startEmulatorCluster, type FaultProxy, type RunningEmulatorCluster } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Issue 21: the first calls of a freshly opened SDK client on a cluster must not wait for more
 * round trips than they need (a loaded process turned two connection set-ups in a row into
 * timeouts). Every byte to and from the emulator cluster goes through a proxy that holds it
 * `HOP_MS`, so round trips dominate what a call takes, whatever else the machine does, and the
 * SDK is measured against its own driver's first calls on the same cluster.
 */
const HOP_MS = 100;
const ROUND_TRIP_MS = 2 * HOP_MS;
const LANES = 8;
/** What the SDK may add to its driver's first calls: `COMMAND INFO` for a raw SET (one round trip), and one of slack. */
const ALLOWED_EXTRA_MS = 2 * ROUND_TRIP_MS;

describe('first calls of a fresh SDK client on an emulator cluster with replicas (every round trip 200 ms)', () => {
  let cluster: RunningEmulatorCluster;
  let proxies: FaultProxy[];
  /** Each node's address, as the cluster announces it, to its proxy's. */
  let proxied: Map<string, { host: string; port: number }>;

  beforeAll(async () => {
    cluster = await startEmulatorCluster({ primaries: 3, replicas: 1 });
    proxies = await Promise.all(cluster.nodes.map((node) => faultProxy({ target: { host: node.host, port: node.port } })));
    proxied = new Map(cluster.nodes.map((node, index) => [`${node.host}:${node.port}`, { host: '127.0.0.1', port: (proxies[index] as FaultProxy).port }]));
    for (const proxy of proxies) proxy.delay(HOP_MS);
  }, 60_000);

  afterAll(async () => {
    for (const proxy of proxies ?? []) await proxy.close();
    await cluster?.close();
  });

  const seeds = () => proxies.map((proxy) => ({ host: '127.0.0.1', port: proxy.port }));

  /** How long `LANES` concurrent first SETs take, every one of them served. */
  async function firstSets(label: string, set: (key: string) => Promise<unknown>): Promise<number> {
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: LANES }, (_, lane) => set(`first-calls:${label}:${lane}`)));
    const elapsed = performance.now() - started;
    expect(results.filter((result) => result.status === 'rejected'), `${label}: failed first calls`).toEqual([]);
    return elapsed;
  }

  it('over ioredis Cluster: the transport opens its node connections together, not one after the other', async () => {
    const open = () => new Cluster(seeds(), { natMap: Object.fromEntries(proxied) }).on('error', () => {});
    const raw = open();
    const client = open();
    const ferrite = createFerrite({ transport: ioredisTransport(client, { closeClient: true }), timeout: 60_000 });
    // Side by side: the proxies' delays, not the machine, set both times.
    const [rawTook, sdkTook] = await Promise.all([firstSets('raw-ioredis', (key) => raw.set(key, 'v')), firstSets('sdk-ioredis', (key) => ferrite.send('SET', key, 'v'))]);
    await Promise.all([raw.quit(), ferrite.close()]);
    // Its connections one after the other (to a node for COMMAND INFO, then to the key's
    // primary) cost three round trips more than the raw driver.
    expect(sdkTook, `SDK ${Math.round(sdkTook)} ms, raw ioredis ${Math.round(rawTook)} ms`).toBeLessThanOrEqual(rawTook + ALLOWED_EXTRA_MS);
    expect(client.status).toBe('end');
  }, 60_000);

  it('over node-redis createCluster: the first calls after connect() wait for COMMAND INFO only', async () => {
    const open = () => createCluster({ rootNodes: seeds().map(({ host, port }) => ({ url: `redis://${host}:${port}` })), nodeAddressMap: (address: string) => proxied.get(address) }).on('error', () => {});
    const [raw, client] = await Promise.all([open().connect(), open().connect()]);
    const ferrite = createFerrite({ transport: nodeRedisTransport(client, { closeClient: true }), timeout: 60_000 });
    const [rawTook, sdkTook] = await Promise.all([firstSets('raw-node-redis', (key) => raw.set(key, 'v')), firstSets('sdk-node-redis', (key) => ferrite.send('SET', key, 'v'))]);
    raw.destroy();
    await ferrite.close();
    expect(sdkTook, `SDK ${Math.round(sdkTook)} ms, raw node-redis ${Math.round(rawTook)} ms`).toBeLessThanOrEqual(rawTook + ALLOWED_EXTRA_MS);
    expect(client.isOpen).toBe(false);
  }, 60_000);
});
