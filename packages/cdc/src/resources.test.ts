import { createFerrite } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import { beforeAll, expect, it, vi } from 'vitest';
import { serverSubscriptions, unique, write, type CdcClient } from './__tests__/helpers.js';
import { CdcPositionExpiredError } from './errors.js';
import { cdc } from './plugin.js';


/** Connections CLIENT LIST shows whose last command was a feed's. */
async function feedConnectionsListed(ferrite: CdcClient): Promise<number> {
  const list = String(await ferrite.send('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => / cmd=cdc\.(subscribe|poll|unsubscribe) /.test(line)).length;
}

/** Handles and requests the process holds (sockets, timers, …), by kind. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  // vitest.config.ts passes --expose-gc; without it this measurement means nothing, so say so.
  if (gc === undefined) throw new Error('run with --expose-gc (packages/cdc/vitest.config.ts sets it)');
  gc();
  gc();
}

describeEachTransport('cdc resources', (harness) => {
  let ferrite: CdcClient;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
  });

  const cycles = 1000;

  it(`${cycles} subscribe/close cycles leave no handles, server subscriptions or connections behind`, async () => {
    const pattern = `${unique('cycles')}:*`;
    // Warm up: the first dedicated connection may create lasting driver state (timers, agents).
    await (await ferrite.cdc.subscribe(pattern)).close();
    await vi.waitFor(async () => expect(await feedConnectionsListed(ferrite)).toBe(0), { timeout: 5000, interval: 20 });
    const before = activeResources();
    for (let i = 0; i < cycles; i++) {
      const feed = await ferrite.cdc.subscribe(pattern, { blockMs: 5000 });
      // Half are closed while a poll is blocked on the server, half right away.
      if (i % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
      await feed.close();
    }
    await vi.waitFor(
      async () => {
        expect(await serverSubscriptions(ferrite)).toBe(0);
        expect(await feedConnectionsListed(ferrite)).toBe(0);
      },
      { timeout: 10_000, interval: 50 },
    );
    await vi.waitFor(
      () => {
        const after = activeResources();
        // A little slack for the driver's own housekeeping (a reconnect timer, a pending DNS lookup).
        for (const [kind, count] of after) expect(count, kind).toBeLessThanOrEqual((before.get(kind) ?? 0) + 2);
      },
      { timeout: 5000, interval: 50 },
    );
  }, 120_000);
});

describeEachTransport(
  'cdc memory',
  (harness) => {
    let ferrite: CdcClient;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
    });

  it('keeps heap growth under 5 MB for a paused consumer while 100 000 events are written', async () => {
    const key = `${unique('paused')}:k`;
    const value = 'v'.repeat(100);
    const writeMany = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await write(harness.emulator, 'SET', key, `${value}${i}`);
        // Yield to I/O now and then, so a feed that kept polling would have every chance to.
        if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // Fill the server's log to capacity first: from then on its size stays level, and what grows is the client's.
    await writeMany(harness.emulator.changeLog.capacity);
    await using feed = await ferrite.cdc.subscribe(`${key}*`, { bufferSize: 1000, batchSize: 10_000 });
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    await writeMany(100_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(5 * 1024 * 1024);
    // It was paused, not broken: it hands over what it buffered, from the first write after it
    // subscribed, then reports that the log has moved on past the rest, rather than skip them.
    const values: string[] = [];
    const error = await (async () => {
      for await (const event of feed) values.push(event.value as string);
    })().catch((e: unknown) => e);
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => `${value}${i}`));
    expect(error).toBeInstanceOf(CdcPositionExpiredError);
  }, 120_000);
  },
  // A log of 20 000 events: small enough to fill quickly, and its size stays level once full.
  { emulatorOptions: () => ({ cdcCapacity: 20_000 }) },
);
