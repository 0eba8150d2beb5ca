import { createFerrite, FerriteConnectionError, FerriteTimeoutError, type FerriteError, type Transport, type WireCommand } from '@ferrite/core';
import { Emulator, faultProxy, memoryTransport, startEmulator, type FaultProxy, type RunningEmulator } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { semantic } from './plugin.js';

/**
 * A connection failing between the lookup and the store is hard to time for real, so this
 * transport fails the chosen command the way a transport reports a lost connection, leaves it
 * pending for ever (a server that stopped answering mid-call), or holds it 200 ms before sending
 * it (a slow link, on a transport whose own close waits for nothing).
 */
function faulty(inner: Transport, command: string, fault: 'fail' | 'hang' | 'late'): Transport {
  return {
    name: 'faulty',
    protocol: inner.protocol,
    send: (wire: WireCommand, options) => {
      if (wire.name !== command) return inner.send(wire, options);
      if (fault === 'late') return new Promise((resolve) => setTimeout(resolve, 200)).then(() => inner.send(wire, options));
      return fault === 'fail' ? Promise.reject(new FerriteConnectionError('connection lost')) : new Promise(() => {});
    },
    batch: (commands, options) => inner.batch(commands, options),
    dedicated: (options) => inner.dedicated(options),
    close: () => inner.close(),
  };
}

describe('a store that fails or hangs', () => {
  const emulator = new Emulator();
  const failing = createFerrite({ transport: faulty(memoryTransport({ emulator }), 'SEMANTIC.SET', 'fail'), plugins: [semantic()] });
  const hanging = createFerrite({ transport: faulty(memoryTransport({ emulator }), 'SEMANTIC.SET', 'hang'), plugins: [semantic()], timeout: 300 });
  afterAll(async () => {
    await failing.close();
    await hanging.close();
  });

  it('still returns the computed value, and reports the failure', async () => {
    const reported: FerriteError[] = [];
    const cache = failing.semantic.cache('store-failure', { onError: (error) => void reported.push(error) });
    expect(await cache.getOrSet('prompt', () => 'expensive answer')).toBe('expensive answer');
    await failing.semantic.flush();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(FerriteConnectionError);
    const stats = await cache.stats();
    expect(stats.process).toMatchObject({ hits: 0, misses: 1, errors: 1 });
    expect(stats.server.entries).toBe(0);
    // A direct set is the caller's own request: its failure is the caller's to see.
    await expect(cache.set('prompt', 'x')).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('does not hold the answer up: getOrSet and the stream end while the store is still pending', async () => {
    const reported: FerriteError[] = [];
    const cache = hanging.semantic.cache('store-hang', { onError: (error) => void reported.push(error) });
    expect(await cache.getOrSet('prompt', () => 'answer')).toBe('answer');
    const chunks: string[] = [];
    for await (const chunk of cache.getOrSetStream('other prompt', async function* () {
      yield 'a';
      yield 'b';
    })) chunks.push(chunk);
    expect(chunks).toEqual(['a', 'b']);
    expect(reported).toEqual([]);
    // The stores end at the client's deadline, reported, never thrown.
    await hanging.semantic.flush();
    expect(reported.map((error) => error.constructor)).toEqual([FerriteTimeoutError, FerriteTimeoutError]);
  });
});

describe('close() and background stores', () => {
  it('waits for a store the client still holds: the value is on the server once close() resolves', async () => {
    const emulator = new Emulator();
    const ferrite = createFerrite({ transport: faulty(memoryTransport({ emulator }), 'SEMANTIC.SET', 'late'), plugins: [semantic()] });
    expect(await ferrite.semantic.cache('held').getOrSet('prompt', () => 'computed')).toBe('computed');
    await ferrite.close();
    const reader = createFerrite({ transport: memoryTransport({ emulator }), plugins: [semantic()] });
    expect(await reader.semantic.get('held', 'prompt', { threshold: 1 })).toBe('computed');
    await reader.close();
  });
});

describe('a lookup that fails', () => {
  const emulator = new Emulator();
  const ferrite = createFerrite({ transport: faulty(memoryTransport({ emulator }), 'SEMANTIC.GET', 'fail'), plugins: [semantic()] });
  afterAll(() => ferrite.close());

  it('is a miss by default, reported to onError', async () => {
    const reported: FerriteError[] = [];
    const cache = ferrite.semantic.cache('lookup-failure', { onError: (error) => void reported.push(error) });
    expect(await cache.getOrSet('prompt', () => 'computed')).toBe('computed');
    const chunks: string[] = [];
    for await (const chunk of cache.getOrSetStream('prompt', async function* () {
      yield 'streamed';
    })) chunks.push(chunk);
    expect(chunks).toEqual(['streamed']);
    expect(reported.map((error) => error.constructor)).toEqual([FerriteConnectionError, FerriteConnectionError]);
    expect((await cache.stats()).process.errors).toBe(2);
  });

  it('rejects with failOpen: false, and computes nothing', async () => {
    const cache = ferrite.semantic.cache('lookup-failure-strict', { failOpen: false });
    let computed = false;
    await expect(cache.getOrSet('prompt', () => ((computed = true), 'never'))).rejects.toBeInstanceOf(FerriteConnectionError);
    expect(computed).toBe(false);
  });

  it('rejects bad policy options when the handle is made', () => {
    expect(() => ferrite.semantic.cache('x', { lookupTimeout: 0 })).toThrow(/lookupTimeout/);
    expect(() => ferrite.semantic.cache('x', { failOpen: 'no' as unknown as boolean })).toThrow(/failOpen/);
  });
});

describe('a lookup against a server that stopped answering (blackholed over TCP)', () => {
  let server: RunningEmulator;
  let proxy: FaultProxy;
  let ferrite: ReturnType<typeof open>;
  const open = (redis: Redis) => createFerrite({ transport: ioredisTransport(redis, { closeClient: true }), plugins: [semantic()] });

  beforeAll(async () => {
    server = await startEmulator();
    proxy = await faultProxy({ target: { port: server.port } });
    const redis = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true });
    await redis.connect();
    ferrite = open(redis);
  });
  afterAll(async () => {
    await ferrite.close();
    await proxy.close();
    await server.close();
  });

  it('close() waits for a store still in flight: a value computed just before it is on the server after it', async () => {
    const redis = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true });
    await redis.connect();
    const closing = open(redis);
    // Every reply takes 150 ms, so the store is still on its way when close() starts.
    proxy.delay(150);
    try {
      expect(await closing.semantic.cache('closing').getOrSet('prompt', () => 'computed')).toBe('computed');
      await closing.close();
    } finally {
      proxy.delay(0);
    }
    const reader = createFerrite({ transport: memoryTransport({ emulator: server.emulator }), plugins: [semantic()] });
    expect(await reader.semantic.get('closing', 'prompt', { threshold: 1 })).toBe('computed');
    await reader.close();
  });

  it('gives up after lookupTimeout and computes: the caller waits no longer than that', async () => {
    const reported: FerriteError[] = [];
    const cache = ferrite.semantic.cache('blackholed', { lookupTimeout: 100, onError: (error) => void reported.push(error) });
    proxy.blackhole(true);
    try {
      const started = performance.now();
      expect(await cache.getOrSet('prompt', () => 'computed')).toBe('computed');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(95);
      // Far below the client's 10 s deadline: the budget, not the deadline, ended the wait.
      expect(elapsed).toBeLessThan(3000);
      expect(reported[0]).toBeInstanceOf(FerriteTimeoutError);
    } finally {
      proxy.blackhole(false);
    }
  });

  it('a lookup given a signal rejects as soon as it aborts, a lookup given a timeout when it runs out', async () => {
    proxy.blackhole(true);
    try {
      const controller = new AbortController();
      const pending = ferrite.semantic.match('blackholed', 'prompt', { signal: controller.signal }).catch((error: unknown) => error);
      setTimeout(() => controller.abort(), 20);
      const started = performance.now();
      expect(await pending).toMatchObject({ name: 'FerriteAbortError' });
      expect(performance.now() - started).toBeLessThan(1000);
      await expect(ferrite.semantic.get('blackholed', 'prompt', { timeout: 50 })).rejects.toBeInstanceOf(FerriteTimeoutError);
      await expect(ferrite.semantic.get('blackholed', 'prompt', { timeout: 0 })).rejects.toThrow(/timeout/);
    } finally {
      proxy.blackhole(false);
    }
  });
});
