import { createFerrite, isConnectionError, isTimeoutError, slotOf, type Transport } from '@ferrite/core';
import { faultProxy, type FaultProxy } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { redisServerMissing, startRedisCluster, type RedisCluster } from '@ferrite/testkit';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The cluster part of the fault suite: a real 3-node Redis Cluster with a fault proxy in front of
 * each node, reached through ioredis' `natMap` and node-redis' `nodeAddressMap`.
 */
const skip = redisServerMissing();
const TIMEOUT_MS = 1200;
const SETTLE_MS = 250;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Driver = 'ioredis' | 'node-redis';

describe.skipIf(Boolean(skip))('fault suite: cluster behind a fault proxy per node', () => {
  let cluster: RedisCluster;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  async function open(driver: Driver): Promise<{ proxies: FaultProxy[]; transport: Transport }> {
    const proxies = await Promise.all(cluster.nodes.map((node) => faultProxy({ target: node })));
    cleanups.push(async () => void (await Promise.all(proxies.map((proxy) => proxy.close()))));
    const mapped = cluster.nodes.map((node, i) => [`${node.host}:${node.port}`, { host: '127.0.0.1', port: (proxies[i] as FaultProxy).port }] as const);
    const first = proxies[0] as FaultProxy;
    if (driver === 'ioredis') {
      const client = new Cluster([{ host: first.host, port: first.port }], { natMap: Object.fromEntries(mapped) });
      client.on('error', () => {});
      const transport = ioredisTransport(client, { closeClient: true });
      cleanups.push(async () => client.disconnect());
      return { proxies, transport };
    }
    const client = createCluster({ rootNodes: [{ url: first.url }], nodeAddressMap: Object.fromEntries(mapped) });
    client.on('error', () => {});
    await client.connect();
    const transport = nodeRedisTransport(client, { closeClient: true });
    cleanups.push(async () => {
      if (client.isOpen) client.destroy();
    });
    return { proxies, transport };
  }

  /** The value of `key`, read on whichever node has it (others answer MOVED). */
  async function counter(key: string): Promise<number> {
    const probes = cluster.nodes.map((node) => new Redis({ host: node.host, port: node.port }));
    try {
      for (const probe of probes) {
        const value = await probe.get(key).catch(() => null);
        if (value !== null) return Number(value);
      }
      return 0;
    } finally {
      for (const probe of probes) probe.disconnect();
    }
  }

  /** The index of the node that owns `key` (the others answer MOVED). */
  async function ownerIndex(key: string): Promise<number> {
    for (const [index, node] of cluster.nodes.entries()) {
      const probe = new Redis({ host: node.host, port: node.port });
      try {
        if (await probe.get(key).then(() => true, () => false)) return index;
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(`no node owns ${key}`);
  }

  for (const driver of ['ioredis', 'node-redis'] as const) {
    for (const fault of ['blackhole', 'rst'] as const) {
      it(`${driver}: settles 1000 calls over every node by the deadline under: ${fault}, maybeApplied right`, async () => {
        const { proxies, transport } = await open(driver);
        const ferrite = createFerrite({ transport, timeout: TIMEOUT_MS });
        const keys = Array.from({ length: 10 }, (_, i) => `cluster-faults:${driver}:${fault}:${process.pid}:${i}`);
        expect(new Set(keys.map((key) => slotOf(key) % 3)).size).toBeGreaterThan(1);
        for (const key of keys) await ferrite.send('DEL', key);
        const calls = Array.from({ length: 1000 }, (_, i) => ferrite.send('INCR', keys[i % keys.length] as string));
        const issuedAt = performance.now();
        const outcomes: Array<{ ok: boolean; error?: unknown } | undefined> = new Array(calls.length);
        calls.forEach((call, i) => call.then(() => (outcomes[i] = { ok: true }), (error: unknown) => (outcomes[i] = { ok: false, error })));
        if (fault === 'blackhole') for (const proxy of proxies) proxy.blackhole();
        else await Promise.all(proxies.map((proxy) => proxy.cut({ mode: 'rst' })));
        await pause(Math.max(0, issuedAt + TIMEOUT_MS + SETTLE_MS - performance.now()));
        expect(outcomes.filter((outcome) => outcome === undefined).length, 'calls still pending').toBe(0);
        let succeeded = 0;
        let mayHaveRun = 0;
        for (const outcome of outcomes) {
          if (outcome?.ok) succeeded++;
          else {
            expect(isTimeoutError(outcome?.error) || isConnectionError(outcome?.error), String(outcome?.error)).toBe(true);
            if ((outcome?.error as { maybeApplied?: boolean }).maybeApplied) mayHaveRun++;
          }
        }
        // The fault reached the calls: they really went through the proxies (natMap / nodeAddressMap).
        expect(succeeded).toBeLessThan(calls.length);
        for (const proxy of proxies) proxy.passThrough();
        await pause(400);
        let applied = 0;
        for (const key of keys) applied += await counter(key);
        expect(applied).toBeGreaterThanOrEqual(succeeded);
        expect(applied).toBeLessThanOrEqual(succeeded + mayHaveRun);
        await ferrite.close();
      }, 30_000);
    }

    it(`${driver}: applies an INCR whose reply was lost exactly once, over 100 trials, and never reports a wrong value`, async () => {
      const { proxies, transport } = await open(driver);
      const ferrite = createFerrite({ transport, timeout: 5000 });
      const key = `cluster-faults:${driver}:lost-reply:${process.pid}`;
      await ferrite.send('DEL', key);
      // node-redis' transport asks the server where INCR's key is once; not during a trial, whose
      // dropped reply would be that answer's.
      await ferrite.send('INCR', `${key}:warm-up`);
      const owner = proxies[await ownerIndex(key)] as FaultProxy;
      const reachable = async () => {
        const deadline = performance.now() + 15_000;
        while (!(await ferrite.send('EXISTS', key).then(() => true, () => false))) {
          if (performance.now() > deadline) throw new Error('the owner of the key stayed unreachable');
          await pause(20);
        }
      };
      const trials = 100;
      let exercised = 0;
      for (let trial = 1; trial <= trials; trial++) {
        await reachable();
        // ioredis refreshes its topology after a lost node, on connections of its own: a drop armed
        // then may catch one of those instead, and the INCR waits behind it. Such a trial does not
        // count as exercised, but must still apply the INCR at most once.
        if (driver === 'ioredis') await pause(100);
        const before = await counter(key);
        owner.dropNextReply();
        const call = ferrite.send('INCR', key).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const waitUntil = performance.now() + 1500;
        while ((await counter(key)) === before && performance.now() < waitUntil) await pause(5);
        await owner.cut({ mode: trial % 2 === 0 ? 'rst' : 'fin' });
        const outcome = await call;
        owner.passThrough();
        const after = await counter(key);
        expect(after - before, `trial ${trial}: applied twice`).toBeLessThanOrEqual(1);
        if (after > before) exercised++;
        if (outcome.ok) expect(outcome.value, `trial ${trial}: a wrong value`).toBe(after);
        else if (after > before) expect((outcome.error as { maybeApplied?: boolean }).maybeApplied, `trial ${trial}: ${String(outcome.error)}`).toBe(true);
      }
      expect(exercised, 'trials whose INCR reached the server before the cut').toBeGreaterThanOrEqual(trials / 2);
      // A resend would show up after the next reconnect.
      const final = await counter(key);
      await reachable();
      await pause(200);
      expect(await counter(key)).toBe(final);
      await ferrite.close();
    }, 120_000);

    it(`${driver}: close() under a blackhole on every node settles within 1 s`, async () => {
      const { proxies, transport } = await open(driver);
      const ferrite = createFerrite({ transport, timeout: Infinity });
      await ferrite.send('SET', `cluster-faults:${driver}:close`, '1');
      for (const proxy of proxies) proxy.blackhole();
      const pending = ferrite.send('INCR', `cluster-faults:${driver}:close-pending`).catch((e: unknown) => e);
      const started = performance.now();
      await ferrite.close();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(isConnectionError(await pending)).toBe(true);
    }, 30_000);
  }
});
