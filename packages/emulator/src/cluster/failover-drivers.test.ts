import { slotOf } from '@ferrite/core';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { RawRespClient, plain } from '../engine/testing/raw-client.js';
import { startEmulatorCluster } from './start.js';
import type { EmulatorClusterNode, RunningEmulatorCluster } from './start.js';

/**
 * The drivers' own cluster clients through a failover of the emulator cluster, as they would go
 * through one of a real Redis 7 cluster: a primary killed, its replica promoted by the cluster,
 * the old primary restarted as a replica, then a manual CLUSTER FAILOVER back. Every key of every
 * slot range must be served again with its last acknowledged value (all of them were replicated:
 * replication is not paused here), and new writes must land.
 */
let cluster: RunningEmulatorCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** What each driver offers the test; every call is bounded so a wedged driver fails the test, not the run. */
interface DriverClient {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<string | null>;
  close(): Promise<void>;
}

const CALL_DEADLINE_MS = 2000;
function bounded<T>(call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the call took longer than its deadline')), CALL_DEADLINE_MS);
  });
  return Promise.race([call, expiry]).finally(() => clearTimeout(timer));
}

function ioredisClient(seed: EmulatorClusterNode, protocol: 2 | 3): DriverClient {
  const client = new Cluster([{ host: '127.0.0.1', port: seed.port }], {
    redisOptions: { protocol, commandTimeout: 1000 },
    slotsRefreshTimeout: 1000,
  });
  client.on('error', () => {
    // Reconnection errors while a node is down; the calls report what matters.
  });
  return {
    set: (key, value) => bounded(client.set(key, value)),
    get: (key) => bounded(client.get(key)),
    close: async () => {
      client.disconnect();
    },
  };
}

function nodeRedisClient(seed: EmulatorClusterNode, protocol: 2 | 3): DriverClient {
  const client = createCluster({
    rootNodes: [{ url: seed.url }],
    RESP: protocol,
    defaults: { socket: { connectTimeout: 500, reconnectStrategy: (retries) => Math.min(50 * retries, 500) } },
  });
  client.on('error', () => {
    // As above.
  });
  const connected = client.connect();
  return {
    set: async (key, value) => {
      await connected;
      return bounded(client.set(key, value));
    },
    get: async (key) => {
      await connected;
      return bounded(client.get(key)) as Promise<string | null>;
    },
    close: async () => {
      await connected;
      client.destroy();
    },
  };
}

/** Reads every key until each one gives its expected value, retrying failed calls; returns the failures seen. */
async function untilServed(client: DriverClient, expected: ReadonlyMap<string, string>): Promise<number> {
  const deadline = Date.now() + 30_000;
  let failures = 0;
  const pending = new Map(expected);
  while (pending.size > 0) {
    for (const [key, value] of pending) {
      try {
        const got = await client.get(key);
        // A wrong value is never acceptable: every acknowledged write here was replicated.
        expect(got).toBe(value);
        pending.delete(key);
      } catch (error) {
        if ((error as { name?: string }).name === 'AssertionError') throw error;
        failures++;
      }
    }
    if (pending.size > 0) {
      if (Date.now() > deadline) throw new Error(`keys not served again: ${[...pending.keys()].join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return failures;
}

async function writeAll(client: DriverClient, keys: readonly string[], value: string, expected: Map<string, string>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const key of keys) {
    for (;;) {
      try {
        await client.set(key, `${value}:${key}`);
        expected.set(key, `${value}:${key}`);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

describe.each([
  ['ioredis Cluster', ioredisClient],
  ['node-redis createCluster', nodeRedisClient],
] as const)('%s through a failover', (_driver, open) => {
  it.each([2, 3] as const)('RESP%i: kill → automatic promotion → restart as replica → CLUSTER FAILOVER back', { timeout: 120_000 }, async (protocol) => {
    const running = await startEmulatorCluster({ primaries: 3, replicas: 1, nodeTimeout: 300 });
    cluster = running;
    const [first, second] = running.nodes as [EmulatorClusterNode, EmulatorClusterNode];
    // The second primary is the victim; seeding the client there too would test seeds, not failover.
    const victim = second;
    const replica = running.nodes.find((node) => node.primaryId === victim.id) as EmulatorClusterNode;
    const client = open(first, protocol);
    try {
      const keys = Array.from({ length: 40 }, (_, index) => `failover:${index}`);
      expect(new Set(keys.map((key) => (slotOf(key) <= 5460 ? 0 : slotOf(key) <= 10922 ? 1 : 2))).size).toBe(3);
      const expected = new Map<string, string>();
      await writeAll(client, keys, 'before', expected);
      await new Promise((resolve) => setImmediate(resolve)); // replicas applied every acknowledged write

      await running.kill(victim.id);
      await untilServed(client, expected);
      expect(replica.role).toBe('primary');
      await writeAll(client, keys, 'promoted', expected);

      await running.restart(victim.id);
      expect([victim.role, victim.primaryId]).toEqual(['replica', replica.id]);
      await untilServed(client, expected);
      const movedKey = keys.find((key) => slotOf(key) > 5460 && slotOf(key) <= 10922) as string;
      expect(victim.emulator.database(0).has(movedKey)).toBe(true);

      const admin = await RawRespClient.connect(victim.port);
      expect(plain(await admin.send('CLUSTER', 'FAILOVER'))).toBe('+OK');
      await admin.close();
      expect([victim.role, replica.role]).toEqual(['primary', 'replica']);
      await untilServed(client, expected);
      await writeAll(client, keys, 'back', expected);
      await untilServed(client, expected);
      expect(victim.emulator.changeLog.epoch).toBe(2);
      expect(victim.emulator.changeLog.logId).toBe(replica.emulator.changeLog.logId);
    } finally {
      await client.close();
    }
  });
});
