import { createFerrite, FerriteAbortError, FerriteReplyError, FerriteValidationError } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { borrowed, failingPolls, feedConnections, serverSubscriptions, settleTime, take, unique, write, type CdcClient } from './__tests__/helpers.js';
import { encodeCheckpoint } from './checkpoint.js';
import { CdcPositionExpiredError } from './errors.js';
import { cdc } from './plugin.js';
import type { ChangeEvent, ChangeFeed } from './types.js';

const untouchedSingleCheckpoint = () => encodeCheckpoint({ logs: [{ logId: undefined, epoch: undefined, node: undefined, next: 1, lastHanded: 0 }] });
const untouchedClusterCheckpoint = () => encodeCheckpoint({ logs: [{ logId: undefined, epoch: undefined, node: '0'.repeat(40), next: 1, lastHanded: 0 }] });

describeEachTransport('cdc', (harness) => {
  let ferrite: CdcClient;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
  });

  describe('events', () => {
    it('delivers every field of each matching write, in order, from the moment subscribe resolves', async () => {
      // One hash tag: one node on a cluster, so the writes have one order there too.
      const prefix = `{${unique('fields')}}`;
      await ferrite.send('SET', `${prefix}:before`, 'x');
      await using feed = await ferrite.cdc.subscribe(`${prefix}:*`);
      const before = Date.now();
      await ferrite.send('SET', `${prefix}:a`, 'héllo');
      await ferrite.send('DEL', `${prefix}:a`);
      await ferrite.send('SET', 'elsewhere', '1');
      await ferrite.send('HSET', `${prefix}:h`, 'f', 'v');
      const events = await take(feed, 3);
      expect(events.map(({ op, key, value, db }) => ({ op, key, value, db }))).toEqual([
        { op: 'SET', key: `${prefix}:a`, value: 'héllo', db: 0 },
        { op: 'DEL', key: `${prefix}:a`, value: null, db: 0 },
        { op: 'HSET', key: `${prefix}:h`, value: null, db: 0 },
      ]);
      for (const event of events) {
        expect(Number.isSafeInteger(event.id)).toBe(true);
        expect(event.timestamp).toBeGreaterThanOrEqual(before - 1000);
        expect(event.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
      }
      const ids = events.map((e) => e.id);
      expect(ids[1]).toBe((ids[0] as number) + 1);
      expect(ids[2]).toBeGreaterThan(ids[1] as number);
      // Ids count in one log: each event names its log when the server names its logs (v1.2).
      const info = (await ferrite.send('CDC.INFO')) as unknown;
      const serverNamesLogs = String(info instanceof Map ? [...info.keys()] : info).includes('log_id');
      for (const event of events) {
        if (serverNamesLogs) expect(event.log).toMatch(/^[0-9a-f]{40}$/);
        else expect(event.log).toBeUndefined();
      }
      if (harness.target.cluster) {
        // On a cluster each event also names the primary that served it.
        for (const event of events) expect(event.node).toMatch(/^[0-9a-f]{40}$/);
      } else {
        expect(events[0]?.node).toBeUndefined();
      }
      expect(feed.checkpoint).toMatch(/^cdc2\./);
    });

    it('keeps only the ops asked for, case-insensitively', async () => {
      const prefix = unique('ops');
      await using feed = await ferrite.cdc.subscribe(`${prefix}:*`, { events: ['del', 'EXPIRE'] });
      await ferrite.send('SET', `${prefix}:a`, '1');
      await ferrite.send('EXPIRE', `${prefix}:a`, '100');
      await ferrite.send('DEL', `${prefix}:a`);
      expect((await take(feed, 2)).map((e) => e.op)).toEqual(['EXPIRE', 'DEL']);
    });

    it('hands values over as Buffers, byte for byte, with binary: true', async () => {
      const prefix = unique('binary');
      const bytes = Buffer.from([0, 0xff, 0xc3, 0x28, 10, 13]);
      await using feed = await ferrite.cdc.subscribe(`${prefix}:*`, { binary: true });
      await ferrite.send('SET', `${prefix}:b`, bytes);
      const [event] = await take(feed, 1);
      expect(Buffer.isBuffer(event?.value)).toBe(true);
      expect(event?.value?.equals(bytes)).toBe(true);
      expect(event?.key).toBe(`${prefix}:b`);
    });

    it('starts from the oldest event kept; a bare event id is refused before anything is sent', async () => {
      // One hash tag: one node on a cluster, so the three writes have one order.
      const prefix = `{${unique('from')}}`;
      await ferrite.send('SET', `${prefix}:1`, 'a');
      await ferrite.send('SET', `${prefix}:2`, 'b');
      await ferrite.send('SET', `${prefix}:3`, 'c');
      await using earliest = await ferrite.cdc.subscribe(`${prefix}:*`, { from: 'earliest' });
      const events = await take(earliest, 3);
      expect(events.map((e) => e.value)).toEqual(['a', 'b', 'c']);
      // Ids count in one log only: the resume handle is the checkpoint, on every topology.
      const error = await ferrite.cdc.subscribe(`${prefix}:*`, { from: (events[1] as ChangeEvent).id as unknown as 'latest' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteValidationError);
      expect((error as Error).message).toMatch(/checkpoint/);
    });

    it('resumes from a saved checkpoint in another client: together they see every event once, in order per key', async () => {
      const prefix = unique('token');
      const first = await ferrite.cdc.subscribe(`${prefix}:*`);
      const untouched = first.checkpoint;
      // Two keys per value, so that on a cluster the events come from several nodes.
      for (let i = 0; i < 20; i++) await ferrite.send('SET', `${prefix}:${i % 7}`, String(i));
      const seen = (await take(first, 8)).map((e) => e.value);
      const checkpoint = first.checkpoint;
      expect(typeof checkpoint).toBe('string');
      expect(checkpoint).not.toBe(untouched);
      await first.close();
      const other = createFerrite({ transport: harness.transport, plugins: [cdc()] });
      await using second = await other.cdc.subscribe(`${prefix}:*`, { from: checkpoint });
      const rest = await take(second, 12);
      seen.push(...rest.map((e) => e.value));
      expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      // Per key, the values arrive in the order they were written.
      for (let key = 0; key < 7; key++) {
        const values = seen.filter((value) => Number(value) % 7 === key).map(Number);
        expect(values).toEqual([...values].sort((a, b) => a - b));
      }
      // Nothing more: the resumed feed repeated nothing.
      await using third = await other.cdc.subscribe(`${prefix}:*`, { from: second.checkpoint });
      await ferrite.send('SET', `${prefix}:end`, 'end');
      expect((await take(third, 1)).map((e) => e.value)).toEqual(['end']);
      // The checkpoint taken before any event resumes at the feed's start: every event, once.
      await using fromStart = await other.cdc.subscribe(`${prefix}:*`, { from: untouched });
      const values = (await take(fromStart, 21)).map((e) => e.value);
      expect([...values].sort()).toEqual([...Array.from({ length: 20 }, (_, i) => String(i)), 'end'].sort());
      // A checkpoint from the other topology is refused before anything is subscribed.
      const foreign = harness.target.cluster ? untouchedSingleCheckpoint() : untouchedClusterCheckpoint();
      await expect(other.cdc.subscribe(`${prefix}:*`, { from: foreign })).rejects.toBeInstanceOf(FerriteValidationError);
    });

    it('delivers a write matching a sparse pattern within blockMs + 100 ms', async () => {
      const prefix = unique('sparse');
      const blockMs = 1000;
      await using feed = await ferrite.cdc.subscribe(`${prefix}:match:*`, { blockMs });
      const writtenAt: number[] = [];
      const delays: number[] = [];
      const consumer = (async () => {
        for await (const event of feed) {
          delays.push(performance.now() - (writtenAt[Number(event.value)] as number));
          if (delays.length === 3) return;
        }
      })();
      // 1 write in 10 000 matches; the rest only move the subscription along.
      const other = await harness.emulatorFor(`${prefix}:other`);
      for (let i = 0; i < 30_000; i++) {
        if (i % 10_000 === 9_999) {
          writtenAt.push(performance.now());
          const key = `${prefix}:match:${i}`;
          await write(await harness.emulatorFor(key), 'SET', key, String(writtenAt.length - 1));
          // Let the feed's poll come back in between, so each match meets whichever state it is in.
          await new Promise((resolve) => setTimeout(resolve, 50));
        } else {
          await write(other, 'SET', `${prefix}:other`, 'x');
        }
      }
      await consumer;
      expect(delays).toHaveLength(3);
      for (const delay of delays) expect(delay).toBeLessThan(blockMs + 100);
    });
  });

  describe('backpressure', () => {
    it('stops polling once bufferSize events wait, and delivers the rest when the caller pulls again', async () => {
      // One hash tag: one node on a cluster, so the writes have one order.
      const prefix = `{${unique('buffer')}}`;
      await using feed = await ferrite.cdc.subscribe(`${prefix}:*`, { bufferSize: 10, batchSize: 4 });
      const server = await harness.emulatorFor(prefix);
      for (let i = 0; i < 100; i++) await write(server, 'SET', `${prefix}:${i}`, String(i));
      // Nothing handed over yet: the feed is 100 behind, whatever it has buffered.
      expect(await feed.lag()).toBe(100);
      const events = await take(feed, 100);
      expect(events.map((e) => e.value)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
      expect(await feed.lag()).toBe(0);
    });
  });

  describe('cancellation', () => {
    /** The feeds' connections on the server, on every node of a cluster. */
    const feedConnectionsNow = (): number =>
      harness.cluster === undefined ? feedConnections(harness.emulator) : harness.cluster.nodes.reduce((sum, node) => sum + feedConnections(node.emulator), 0);

    it('close() ends a feed blocked in a poll within 100 ms, and leaves no subscription or connection', async () => {
      const feed = await ferrite.cdc.subscribe(unique('close'), { blockMs: 30_000 });
      expect(feedConnectionsNow()).toBeGreaterThan(0);
      const pending = feed.next();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await settleTime(feed.close())).toBeLessThan(100);
      expect(await pending).toEqual({ done: true, value: undefined });
      expect(await feed.next()).toEqual({ done: true, value: undefined });
      await vi.waitFor(() => expect(feedConnectionsNow()).toBe(0), { timeout: 2000, interval: 10 });
      expect(await serverSubscriptions(ferrite)).toBe(0);
    });

    it('ends on its signal, on break, and with await using', async () => {
            const prefix = unique('ends');
      const controller = new AbortController();
      const bySignal = await ferrite.cdc.subscribe(`${prefix}:*`, { signal: controller.signal, blockMs: 30_000 });
      const pending = bySignal.next();
      controller.abort();
      expect(await settleTime(pending)).toBeLessThan(100);
      expect(await pending).toEqual({ done: true, value: undefined });

      const byBreak = await ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: 30_000 });
      await ferrite.send('SET', `${prefix}:x`, '1');
      for await (const event of byBreak) {
        expect(event.key).toBe(`${prefix}:x`);
        break;
      }
      expect(await byBreak.next()).toEqual({ done: true, value: undefined });

      let scoped: ChangeFeed | undefined;
      {
        await using feed = await ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: 30_000 });
        scoped = feed;
      }
      expect(await scoped?.next()).toEqual({ done: true, value: undefined });
      await vi.waitFor(async () => expect(await serverSubscriptions(ferrite)).toBe(0), { timeout: 2000, interval: 10 });
    });

    it('ends with the signal of the view it was opened through', async () => {
      const controller = new AbortController();
      const feed = await ferrite.withOptions({ signal: controller.signal }).cdc.subscribe(unique('view'), { blockMs: 30_000 });
      const pending = feed.next();
      controller.abort();
      expect(await settleTime(pending)).toBeLessThan(100);
      expect(await pending).toEqual({ done: true, value: undefined });
    });

    it('hands out the same subscription state through a view each time it is read', async () => {
      const controller = new AbortController();
      const sub = await ferrite.withOptions({ signal: controller.signal }).cdc.onChange(unique('view-done'), () => {}, { blockMs: 30_000 });
      expect(sub.done).toBe(sub.done);
      controller.abort();
      await sub.done;
    });

    it('rejects with FerriteAbortError when the signal has already fired', async () => {
      await expect(ferrite.cdc.subscribe('x', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(FerriteAbortError);
    });

    it('ends every feed when its client closes', async () => {
      // The same connections, but closing this client must leave the suite's transport open.
      const client = createFerrite({ transport: borrowed(harness.transport), plugins: [cdc()] });
      const feed = await client.cdc.subscribe(unique('client'), { blockMs: 30_000 });
      const pending = feed.next();
      expect(await settleTime(client.close())).toBeLessThan(100);
      expect(await pending).toEqual({ done: true, value: undefined });
      await vi.waitFor(async () => expect(await serverSubscriptions(ferrite)).toBe(0), { timeout: 2000, interval: 10 });
    });
  });

  describe('errors', () => {
    it('ends the feed with an error reply other than a lost subscription, after the events it fetched', async () => {
      const prefix = unique('error-reply');
      const shared = harness.transport;
      // A server error that cannot be caused for real: the second poll on any connection fails.
      // On a cluster the feed follows every primary (the topology is the shared transport's): one connection each, each failing alike.
      const failing = borrowed(shared, {
        async dedicated(options) {
          let polls = 0;
          return failingPolls(await shared.dedicated(options), () => (++polls === 2 ? new FerriteReplyError('CDC.POLL', 'ERR something broke') : undefined));
        },
      });
      const client = createFerrite({ transport: failing, plugins: [cdc()] });
      // Long enough that the connection whose log gets the write is still in its first poll when the
      // write lands (its second poll, right after, fails), however slow the driver; the other nodes'
      // polls are still waiting for nothing then, and end with the feed.
      const feed = await client.cdc.subscribe(`${prefix}:*`, { blockMs: 5000 });
      await ferrite.send('SET', `${prefix}:a`, '1');
      expect((await take(feed, 1))[0]?.value).toBe('1');
      const error = await feed.next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteReplyError);
      expect((error as FerriteReplyError).serverMessage).toBe('ERR something broke');
      expect(await feed.next()).toEqual({ done: true, value: undefined });
      await client.close();
    });
  });

  describe('onChange', () => {
    it('awaits the handler for each event in turn, and moves the checkpoint only after it resolves', async () => {
      // One hash tag: one node on a cluster, so '0' comes before '1'.
      const prefix = `{${unique('handler')}}`;
      const order: string[] = [];
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const subscription = await ferrite.cdc.onChange(`${prefix}:*`, async (event) => {
        order.push(`start ${event.value}`);
        if (event.value === '0') await gate;
        order.push(`end ${event.value}`);
      });
      await ferrite.send('SET', `${prefix}:a`, '0');
      await ferrite.send('SET', `${prefix}:b`, '1');
      const started = subscription.checkpoint;
      await vi.waitFor(() => expect(order).toEqual(['start 0']));
      // The handler has not resolved yet: nothing moved.
      expect(subscription.checkpoint).toBe(started);
      release();
      await vi.waitFor(() => expect(order).toEqual(['start 0', 'end 0', 'start 1', 'end 1']));
      await vi.waitFor(() => expect(subscription.checkpoint).not.toBe(started));
      await subscription.close();
      await expect(subscription.done).resolves.toBeUndefined();
    });

    it("rejects done with the handler's error and stops, leaving the checkpoint before the failed event", async () => {
      const prefix = `{${unique('throws')}}`;
      const failure = new Error('handler failed');
      const handled: string[] = [];
      const subscription = await ferrite.cdc.onChange(`${prefix}:*`, (event) => {
        if (event.value === 'bad') throw failure;
        handled.push(event.value as string);
      });
      const stopped = expect(subscription.done).rejects.toBe(failure);
      await ferrite.send('SET', `${prefix}:1`, 'good');
      await ferrite.send('SET', `${prefix}:2`, 'bad');
      await ferrite.send('SET', `${prefix}:3`, 'never');
      await stopped;
      expect(handled).toEqual(['good']);
      // Resuming from the checkpoint hands the failed event over again (at-least-once).
      await using again = await ferrite.cdc.subscribe(`${prefix}:*`, { from: subscription.checkpoint });
      expect((await take(again, 1))[0]?.value).toBe('bad');
    });
  });

  describe('validation', () => {
    it('rejects bad arguments with FerriteValidationError before sending anything', async () => {
      const cases: Array<() => Promise<unknown>> = [
        () => ferrite.cdc.subscribe('' as string),
        () => ferrite.cdc.subscribe(42 as unknown as string),
        () => ferrite.cdc.subscribe('*', { batchSize: 0 }),
        () => ferrite.cdc.subscribe('*', { batchSize: 10_001 }),
        () => ferrite.cdc.subscribe('*', { blockMs: 0 }),
        () => ferrite.cdc.subscribe('*', { bufferSize: 1.5 }),
        () => ferrite.cdc.subscribe('*', { from: 0 as unknown as 'latest' }),
        () => ferrite.cdc.subscribe('*', { onReconnect: 'log' as unknown as () => void }),
        () => ferrite.cdc.subscribe('*', { from: 'newest' as 'latest' }),
        () => ferrite.cdc.subscribe('*', { from: 'cdc1.not-base64-json' }),
        () => ferrite.cdc.subscribe('*', { from: 'checkpoint' as 'cdc1.' }),
        () => ferrite.cdc.subscribe('*', { from: `cdc1.${Buffer.from('{"s":0}').toString('base64url')}` }),
        () => ferrite.cdc.subscribe('*', { from: `cdc2.${Buffer.from('{"l":[["x",0,null,1,0]]}').toString('base64url')}` }),
        () => ferrite.cdc.subscribe('*', { from: 2n ** 60n as unknown as 'latest' }),
        () => ferrite.cdc.subscribe('*', { events: [] }),
        () => ferrite.cdc.subscribe('*', { events: ['SET NX'] }),
        () => ferrite.cdc.onChange('*', 'nope' as unknown as () => void),
      ];
      for (const attempt of cases) await expect(attempt()).rejects.toBeInstanceOf(FerriteValidationError);
    });
  });
}, { cluster: true });

describeEachTransport(
  'cdc with a short log',
  (harness) => {
    let ferrite: CdcClient;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
    });

    it('rejects a start the server no longer keeps with CdcPositionExpiredError carrying the oldest id', async () => {
      const prefix = unique('expired');
      for (let i = 0; i < 30; i++) await write(harness.emulator, 'SET', `${prefix}:${i}`, String(i));
      // A legacy `cdc1.` checkpoint from the first event: still read, and still checked.
      const fromFirst = `cdc1.${Buffer.from('{"s":1}').toString('base64url')}` as const;
      const error = await ferrite.cdc.subscribe(`${prefix}:*`, { from: fromFirst }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdcPositionExpiredError);
      expect(error).toBeInstanceOf(FerriteReplyError);
      expect((error as CdcPositionExpiredError).oldestRetainedId).toBe(harness.emulator.changeLog.firstId);
    });

    it('throws CdcPositionExpiredError from the iterator after the events it had, never skipping silently', async () => {
      const prefix = unique('overrun');
      const feed = await ferrite.cdc.subscribe(`${prefix}:*`, { bufferSize: 2, batchSize: 2 });
      await write(harness.emulator, 'SET', `${prefix}:0`, '0');
      await write(harness.emulator, 'SET', `${prefix}:1`, '1');
      // Let the feed fill its buffer; then the log moves on past everything else it has not fetched.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 2; i < 40; i++) await write(harness.emulator, 'SET', `${prefix}:${i}`, String(i));
      const received: string[] = [];
      const error = await (async () => {
        for await (const event of feed) received.push(event.value as string);
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdcPositionExpiredError);
      expect((error as CdcPositionExpiredError).oldestRetainedId).toBeGreaterThan(3);
      expect(received).toEqual(['0', '1']);
      expect(await feed.next()).toEqual({ done: true, value: undefined });
    });

    it("rejects onChange's done with CdcPositionExpiredError", async () => {
      const prefix = unique('overrun-handler');
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const subscription = await ferrite.cdc.onChange(`${prefix}:*`, () => gate, { bufferSize: 1, batchSize: 1 });
      const expired = expect(subscription.done).rejects.toBeInstanceOf(CdcPositionExpiredError);
      for (let i = 0; i < 40; i++) await write(harness.emulator, 'SET', `${prefix}:${i}`, String(i));
      release();
      await expired;
    });
  },
  { emulatorOptions: () => ({ cdcCapacity: 20 }) },
);
