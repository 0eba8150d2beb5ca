import { createFerrite, defineCommand, definePlugin, readNullableText, type Transport } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { redisServerMissing, startRedisCluster, type RedisCluster } from '@ferrite/testkit';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const skip = redisServerMissing();

/** A read that goes by a definition marked `readonly` (`STRLEN` under another definition). */
const lengthOf = defineCommand({ name: 'STRLEN', readonly: true, encode: (key: string) => [key], decode: (reply) => Number(reply) });
/** A read with no `readonly` mark, kept on primaries even with readFrom replica. */
const plainLength = defineCommand({ name: 'GETRANGE', encode: (key: string) => [key, '0', '-1'], decode: readNullableText });
const probe = definePlugin({
  name: 'probe',
  setup: (context) => ({ lengthOf: (key: string) => context.call(lengthOf, key), whole: (key: string) => context.call(plainLength, key) }),
});

interface NodeStats {
  readonly role: 'master' | 'slave';
  readonly calls: Map<string, number>;
  readonly errors: string;
}

type Driver = 'ioredis' | 'node-redis';

describe.skipIf(Boolean(skip))('readFrom on a 6-node Redis Cluster (3 primaries, 3 replicas)', () => {
  let cluster: RedisCluster;
  let probes: Redis[];

  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1);
    probes = cluster.nodes.map(({ host, port }) => new Redis({ host, port }));
  }, 90_000);

  afterAll(async () => {
    for (const node of probes ?? []) node.disconnect();
    await cluster?.stop();
  });

  async function resetStats(): Promise<void> {
    for (const node of probes) await node.call('CONFIG', 'RESETSTAT');
  }

  /** `INFO commandstats` of every node, read on the servers themselves. */
  async function stats(): Promise<NodeStats[]> {
    return Promise.all(
      probes.map(async (node) => {
        const role = /role:(master|slave)/.exec(String(await node.call('INFO', 'replication')))?.[1] as 'master' | 'slave';
        const calls = new Map<string, number>();
        for (const [, name, count] of String(await node.call('INFO', 'commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
          calls.set(name as string, Number(count));
        }
        return { role, calls, errors: String(await node.call('INFO', 'errorstats')) };
      }),
    );
  }

  const total = (all: NodeStats[], role: 'master' | 'slave', command: string): number =>
    all.filter((node) => node.role === role).reduce((sum, node) => sum + (node.calls.get(command) ?? 0), 0);

  async function open(driver: Driver, readFrom: 'primary' | 'replica', protocol: 2 | 3): Promise<Transport> {
    const seeds = cluster.nodes.slice(0, 1);
    if (driver === 'ioredis') {
      const client = new Cluster(seeds.map(({ host, port }) => ({ host, port })), { lazyConnect: true, redisOptions: { protocol } });
      return ioredisTransport(client, { readFrom, closeClient: true });
    }
    // node-redis tracks replicas only when asked to: the transport reads from the ones it knows.
    const client = createCluster({ rootNodes: seeds.map(({ host, port }) => ({ url: `redis://${host}:${port}` })), RESP: protocol, useReplicas: readFrom === 'replica' });
    client.on('error', () => {});
    await client.connect();
    return nodeRedisTransport(client, { readFrom, closeClient: true });
  }

  for (const driver of ['ioredis', 'node-redis'] as const) {
    for (const protocol of [2, 3] as const) {
      it(`${driver} RESP${protocol}: with readFrom 'replica', reads land on replicas and writes on primaries`, async () => {
        const transport = await open(driver, 'replica', protocol);
        const ferrite = createFerrite({ transport, plugins: [probe] });
        try {
          const keys = Array.from({ length: 30 }, (_, i) => `read-from:${driver}:${protocol}:${i}`);
          for (const key of keys) await ferrite.send('SET', key, key);
          // Replication is asynchronous: each primary confirms its replica has every write.
          for (const node of await transport.nodes!()) await transport.send({ name: 'WAIT', args: ['1', '5000'], routingKey: null }, { node: node.id });
          await resetStats();
          for (const key of keys) expect(await ferrite.send('GET', key)).toBe(key);
          for (const key of keys) expect(await ferrite.probe.lengthOf(key)).toBe(key.length);
          for (const key of keys) expect(await ferrite.probe.whole(key)).toBe(key);
          for (const key of keys) await ferrite.send('SET', key, 'again');
          const after = await stats();
          expect(total(after, 'slave', 'get')).toBe(keys.length);
          expect(total(after, 'master', 'get')).toBe(0);
          expect(total(after, 'slave', 'strlen')).toBe(keys.length);
          expect(total(after, 'master', 'strlen')).toBe(0);
          // GETRANGE is a standard read: with no mark on the definition, the standard list decides.
          expect(total(after, 'slave', 'getrange')).toBe(keys.length);
          // Replicas run the replicated writes too; a write sent to a replica would be refused
          // (MOVED, counted as an error), so: every write ran on a primary, none was refused.
          expect(total(after, 'master', 'set')).toBe(keys.length);
          expect(after.filter((node) => /errorstat_(MOVED|ASK):/.test(node.errors))).toEqual([]);
          // Each replica served some: reads spread over the three shards.
          expect(after.filter((node) => node.role === 'slave' && (node.calls.get('get') ?? 0) > 0)).toHaveLength(3);
        } finally {
          await ferrite.close();
        }
      });
    }

    it(`${driver}: with the default readFrom, reads stay on primaries`, async () => {
      const transport = await open(driver, 'primary', 3);
      const ferrite = createFerrite({ transport, plugins: [probe] });
      try {
        const keys = Array.from({ length: 20 }, (_, i) => `read-from:${driver}:primary:${i}`);
        for (const key of keys) await ferrite.send('SET', key, key);
        await resetStats();
        for (const key of keys) expect(await ferrite.send('GET', key)).toBe(key);
        for (const key of keys) expect(await ferrite.probe.lengthOf(key)).toBe(key.length);
        const after = await stats();
        expect(total(after, 'master', 'get')).toBe(keys.length);
        expect(total(after, 'slave', 'get')).toBe(0);
        expect(total(after, 'slave', 'strlen')).toBe(0);
      } finally {
        await ferrite.close();
      }
    });
  }

  it('refuses an unknown readFrom with a typed error', () => {
    const client = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(() => ioredisTransport(client, { readFrom: 'nearest' as 'replica' })).toThrow(/readFrom/);
  });
});
