import { slotOf } from '@ferrite/core';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrdtStore } from '../engine/crdt/crdt-store.js';
import { VectorIndexStore } from '../engine/vector/index-store.js';
import { faultProxy } from '../fault-proxy.js';
import { startEmulatorCluster } from './start.js';
import type { EmulatorClusterNode, RunningEmulatorCluster } from './start.js';

/**
 * The real drivers' cluster clients connect to the emulator cluster unchanged (CLUSTER SLOTS and
 * their handshakes) and follow its MOVED and ASK redirects on their own, in RESP2 and RESP3.
 */
let cluster: RunningEmulatorCluster;

beforeAll(async () => {
  cluster = await startEmulatorCluster({ primaries: 3 });
});
afterAll(async () => {
  await cluster.close();
});

const vector = (...values: number[]) => Buffer.from(new Float32Array(values).buffer);
const ownerOf = (key: string): EmulatorClusterNode => {
  const slot = slotOf(key);
  return cluster.nodes[slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2] as EmulatorClusterNode;
};
const otherPrimary = (node: EmulatorClusterNode) => cluster.nodes.find((candidate) => candidate.role === 'primary' && candidate !== node) as EmulatorClusterNode;
const movedEverywhere = () => cluster.nodes.reduce((sum, node) => sum + node.redirects.moved, 0);
/** Vectors in index `name` on `node`, read from its engine; undefined when the node has no such index. */
const vectorsOn = (node: EmulatorClusterNode, name: string) =>
  node.emulator.database(0).extension('vector', () => new VectorIndexStore()).get(name)?.size;

/** What each driver offers the test: standard commands and raw (extension) commands. */
interface DriverClient {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<string | null>;
  incr(key: string): Promise<number>;
  /** A raw command, its first argument being its routing key (PROTOCOL.md §1). */
  raw(args: Array<string | Buffer>): Promise<unknown>;
  close(): Promise<void>;
}

async function ioredisClient(protocol: 2 | 3): Promise<DriverClient> {
  const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]?.port as number }], {
    redisOptions: { protocol },
    lazyConnect: true,
  });
  await client.connect();
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    incr: (key) => client.incr(key),
    // ioredis knows no extension command: it sends them to any node and follows the MOVED.
    raw: (args) => client.call(args[0] as string, ...args.slice(1)),
    close: async () => {
      await client.quit();
    },
  };
}

async function nodeRedisClient(protocol: 2 | 3): Promise<DriverClient> {
  const client = createCluster({ rootNodes: [{ url: cluster.nodes[0]?.url as string }], RESP: protocol });
  client.on('error', () => {
    // Errors surface on the commands.
  });
  await client.connect();
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key) as Promise<string | null>,
    incr: (key) => client.incr(key) as Promise<number>,
    // node-redis routes a raw command by the key it is given (a keyless one to any node, where a MOVED is not followed).
    raw: (args) => client.sendCommand(args[1], false, args),
    close: async () => {
      await client.close();
    },
  };
}

describe.each([
  ['ioredis Cluster', ioredisClient],
  ['node-redis createCluster', nodeRedisClient],
] as const)('%s', (driver, open) => {
  describe.each([2, 3] as const)('RESP%i', (protocol) => {
    const prefix = `${driver.split(' ')[0]}:${protocol}:`;

    it('runs SET/GET over every slot range, each key stored on its owner', async () => {
      const client = await open(protocol);
      try {
        const keys = Array.from({ length: 60 }, (_, index) => `${prefix}key:${index}`);
        for (const key of keys) await client.set(key, `value of ${key}`);
        for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
        for (const key of keys) expect(ownerOf(key).emulator.database(0).has(key)).toBe(true);
        expect(new Set(keys.map(ownerOf)).size).toBe(3);
      } finally {
        await client.close();
      }
    });

    it('runs vector, semantic and CRDT commands on the node that owns their first argument', async () => {
      const client = await open(protocol);
      try {
        const index = `${prefix}idx`;
        expect(String(await client.raw(['VECTOR.INDEX.CREATE', index, 'DIM', '2', 'DISTANCE', 'L2']))).toBe('OK');
        await client.raw(['VECTOR.ADD', index, 'a', vector(1, 0), 'color', 'red']);
        await client.raw(['VECTOR.ADD', index, 'b', vector(5, 5)]);
        const hits = await client.raw(['VECTOR.SEARCH', index, vector(1, 0.1), 'TOP_K', '1']);
        expect(JSON.stringify(hits)).toContain('"a"');
        expect(vectorsOn(ownerOf(index), index)).toBe(2);
        await client.raw(['SEMANTIC.SET', `${prefix}ns`, 'the capital of france', 'Paris']);
        expect(String(await client.raw(['SEMANTIC.GET', `${prefix}ns`, 'the capital of france']))).toContain('Paris');
        expect(Number(await client.raw(['CRDT.COUNTER.INCR', `${prefix}counter`, '4']))).toBe(4);
        expect(Number(await client.raw(['CRDT.COUNTER.GET', `${prefix}counter`]))).toBe(4);
        expect(ownerOf(`${prefix}counter`).emulator.database(0).extension('crdt', () => new CrdtStore()).has(`${prefix}counter`)).toBe(true);
      } finally {
        await client.close();
      }
    });

    it('keeps writing through a slot move: data intact, ASK then MOVED followed', async () => {
      const client = await open(protocol);
      try {
        const tag = `{${prefix}move}`;
        const slot = slotOf(tag);
        const source = ownerOf(tag);
        const target = otherPrimary(source);
        const keys = Array.from({ length: 30 }, (_, index) => `${tag}k${index}`);
        const counts = new Map<string, number>();
        for (const key of keys) {
          await client.set(key, '0');
          counts.set(key, 0);
        }
        await client.raw(['VECTOR.INDEX.CREATE', `${tag}idx`, 'DIM', '2']);
        const askBefore = source.redirects.ask;
        const movedBefore = movedEverywhere();
        let done = false;
        const move = cluster.moveSlot(slot, target.id, { itemsPerStep: 2, stepDelayMs: 15 }).finally(() => {
          done = true;
        });
        let round = 0;
        let crdt = 0;
        const added: string[] = [];
        // Keep writing during the move, then one round after it (which meets the old owner's MOVED).
        for (let extra = 1; !done || extra-- > 0; round++) {
          const key = keys[round % keys.length] as string;
          await client.incr(key);
          counts.set(key, (counts.get(key) ?? 0) + 1);
          if (round % 5 === 0) {
            await client.raw(['CRDT.COUNTER.INCR', `${tag}counter`, '1']);
            crdt++;
            await client.raw(['VECTOR.ADD', `${tag}idx`, `v${round}`, vector(round, 1)]);
            added.push(`v${round}`);
          }
        }
        await move;
        for (const key of keys) expect(await client.get(key)).toBe(String(counts.get(key)));
        expect(Number(await client.raw(['CRDT.COUNTER.GET', `${tag}counter`]))).toBe(crdt);
        expect(vectorsOn(target, `${tag}idx`)).toBe(added.length);
        expect(vectorsOn(source, `${tag}idx`)).toBeUndefined();
        expect(JSON.stringify(await client.raw(['VECTOR.GET', `${tag}idx`, added.at(-1) as string]))).not.toBe('null');
        expect(source.emulator.database(0).keys().filter((key) => key.startsWith(tag))).toEqual([]);
        expect(keys.every((key) => target.emulator.database(0).has(key))).toBe(true);
        expect(source.redirects.ask).toBeGreaterThan(askBefore);
        // The old owner's MOVED after the move; for ioredis it may come earlier from another node (it
        // sends extension commands anywhere, and refreshes its slot map on any MOVED).
        expect(movedEverywhere()).toBeGreaterThan(movedBefore);
      } finally {
        await client.close();
      }
    });
  });
});

describe('replicas through a driver', () => {
  it("ioredis with scaleReads 'slave' reads from replicas (READONLY) once they caught up", async () => {
    const withReplicas = await startEmulatorCluster({ primaries: 3, replicas: 1 });
    const client = new Cluster([withReplicas.url], { scaleReads: 'slave', lazyConnect: true });
    try {
      await client.connect();
      const key = 'scale:reads';
      await client.set(key, 'from the primary');
      const deadline = Date.now() + 5000;
      let value: string | null = null;
      while (value !== 'from the primary' && Date.now() < deadline) value = await client.get(key);
      expect(value).toBe('from the primary');
      const replica = withReplicas.nodes.find((node) => node.role === 'replica' && node.emulator.database(0).has(key)) as EmulatorClusterNode;
      expect(replica).toBeDefined();
      // The read was served by the replica: its primary got only the write.
      const primary = withReplicas.nodes.find((node) => node.id === replica.primaryId) as EmulatorClusterNode;
      const before = replica.emulator.stats.commandsProcessed;
      expect(await client.get(key)).toBe('from the primary');
      expect(replica.emulator.stats.commandsProcessed).toBeGreaterThan(before);
      expect(primary.redirects.moved + replica.redirects.moved).toBe(0);
    } finally {
      client.disconnect();
      await withReplicas.close();
    }
  });
});

describe('changing the cluster', () => {
  it('announce puts a fault proxy in front of every node: ioredis connects through the proxies and survives a cut', async () => {
    const behind = await startEmulatorCluster({ primaries: 3 });
    const proxies = await Promise.all(behind.nodes.map((node) => faultProxy({ target: { port: node.port } })));
    const client = new Cluster([{ host: '127.0.0.1', port: proxies[0]?.port as number }], { lazyConnect: true });
    try {
      for (const [index, node] of behind.nodes.entries()) behind.announce(node.id, { port: proxies[index]?.port as number });
      await client.connect();
      const keys = Array.from({ length: 30 }, (_, index) => `announced:${index}`);
      for (const key of keys) await client.set(key, key);
      // Every node was reached, and only through its proxy.
      expect(proxies.every((proxy) => proxy.connections > 0)).toBe(true);
      await Promise.all(proxies.map((proxy) => proxy.cut({ mode: 'rst' })));
      for (const key of keys) expect(await client.get(key)).toBe(key);
      expect(behind.nodes.reduce((sum, node) => sum + node.redirects.moved, 0)).toBe(0);
    } finally {
      client.disconnect();
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await behind.close();
    }
  });

  it('addPrimary joins an empty primary that takes slots by moveSlot; removeNode forgets it once empty again', async () => {
    const growing = await startEmulatorCluster({ primaries: 2 });
    const client = new Cluster([growing.url], { lazyConnect: true });
    try {
      await client.connect();
      const tag = '{growing}';
      await client.set(`${tag}key`, 'kept');
      const added = await growing.addPrimary();
      expect(growing.nodes.map((node) => node.id)).toContain(added.id);
      const original = growing.nodes.find((node) => node.emulator.database(0).has(`${tag}key`)) as EmulatorClusterNode;
      await growing.moveSlot(slotOf(tag), added.id);
      expect(added.emulator.database(0).has(`${tag}key`)).toBe(true);
      expect(await client.get(`${tag}key`)).toBe('kept');
      await expect(growing.removeNode(added.id)).rejects.toThrow(/still serves slots/);
      await growing.moveSlot(slotOf(tag), original.id);
      await growing.removeNode(added.id);
      expect(growing.nodes.map((node) => node.id)).not.toContain(added.id);
      expect(await client.get(`${tag}key`)).toBe('kept');
    } finally {
      client.disconnect();
      await growing.close();
    }
  });
});
