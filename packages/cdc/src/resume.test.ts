import { createFerrite, type Transport } from '@ferrite/core';
import { memoryServer, startEmulator, type Emulator } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { describeEachTransport, glideTransportTo, transportTargets, type TransportTarget } from '@ferrite/test-transports';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { take, unique, write, type CdcClient } from './__tests__/helpers.js';
import { decodeCheckpoint } from './checkpoint.js';
import { CdcPositionLostError } from './errors.js';
import { cdc } from './plugin.js';
import type { ChangeEvent, ChangeFeed } from './types.js';

describeEachTransport(
  'cdc on a quiet pattern with a short log',
  (harness) => {
    let ferrite: CdcClient;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
    });

    it('keeps its place: one matching event, then 500 writes to other keys through a log of 100, and the checkpoint still resumes with no error', async () => {
      // One hash tag: on a cluster, the quiet key and the noise share one node and one log.
      const tag = `{${unique('quiet')}}`;
      const server = await harness.emulatorFor(tag);
      // A short BLOCK: a poll that scans only other keys' events returns when it runs out.
      const feed = await ferrite.cdc.subscribe(`${tag}:quiet:*`, { blockMs: 20 });
      await write(server, 'SET', `${tag}:quiet:1`, 'only');
      expect((await take(feed, 1))[0]?.value).toBe('only');
      // Other keys' writes, at a pace the feed keeps up with (a log of 100 cannot hold them all):
      // its polls move it past what they scan, matching or not.
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 50; i++) await write(server, 'SET', `${tag}:noise:${i % 7}`, String(i));
        await vi.waitFor(async () => expect(await feed.lag()).toBe(0), { timeout: 10_000, interval: 20 });
      }
      const checkpoint = feed.checkpoint;
      await feed.close();
      // The log has moved 400 events past the quiet event: the checkpoint is past them too.
      await using resumed = await ferrite.cdc.subscribe(`${tag}:quiet:*`, { from: checkpoint, blockMs: 100 });
      await write(server, 'SET', `${tag}:quiet:2`, 'next');
      expect((await take(resumed, 1)).map((event) => event.value)).toEqual(['next']);
    });
  },
  { emulatorOptions: () => ({ cdcCapacity: 100 }), cluster: true },
);

/** A single emulator that tests restart, in process or over TCP, and a client over it. */
interface RestartRig {
  readonly emulator: Emulator;
  readonly ferrite: CdcClient;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The target's driver over a server a test restarts; the driver (or the memory transport) reconnects by itself. */
async function restartRig(target: TransportTarget): Promise<RestartRig> {
  if (target.driver === 'memory') {
    const server = memoryServer();
    return rigOver(server, server.transport({ protocol: target.protocol }));
  }
  const server = await startEmulator();
  let transport: Transport;
  if (target.driver === 'ioredis') {
    const client = new Redis({ host: server.host, port: server.port, protocol: target.protocol, lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
    transport = ioredisTransport(client, { closeClient: true });
  } else if (target.driver === 'valkey-glide') {
    transport = await glideTransportTo(server.host, server.port, target.protocol);
  } else {
    const client = createClient({ url: server.url, RESP: target.protocol });
    client.on('error', () => {});
    await client.connect();
    transport = nodeRedisTransport(client, { closeClient: true });
  }
  return rigOver(server, transport);
}

function rigOver(server: { readonly emulator: Emulator; restart(): Promise<void>; close(): Promise<void> }, transport: Transport): RestartRig {
  const ferrite = createFerrite({ transport, plugins: [cdc()], timeout: 1000 });
  return {
    get emulator() {
      return server.emulator;
    },
    ferrite,
    restart: () => server.restart(),
    async close() {
      await ferrite.close();
      await server.close();
    },
  };
}

/** The iterator's outcome once it stops handing over events: the events, then its error (or none). */
async function drain<Value extends string | Buffer>(feed: ChangeFeed<Value>, events: ChangeEvent<Value>[]): Promise<unknown> {
  try {
    for (;;) {
      const next = await feed.next();
      if (next.done) return undefined;
      events.push(next.value);
    }
  } catch (error) {
    return error;
  }
}

// Every driver, and the in-process transport over a memory server (restarted as a server is).
for (const target of transportTargets) {
  describe(`cdc across restarts of a single emulator (${target.label})`, () => {
    let server: RestartRig;
    let ferrite: CdcClient;
    beforeAll(async () => {
      server = await restartRig(target);
      ferrite = server.ferrite;
    });
    afterAll(async () => {
      await server?.close();
    });

    it('5 restarts with an empty log: every event before each is delivered once, then CdcPositionLostError names the lost log; a checkpoint of it is refused, never silently resumed', async () => {
      const prefix = unique('restart');
      let feed = await ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: 100 });
      for (let round = 0; round < 5; round++) {
        const logId = server.emulator.changeLog.logId;
        for (let i = 0; i < 20; i++) await write(server.emulator, 'SET', `${prefix}:${i}`, `${round}.${i}`);
        expect((await take(feed, 20)).map((event) => event.value)).toEqual(Array.from({ length: 20 }, (_, i) => `${round}.${i}`));
        const handedOver = feed.checkpoint;
        // Two more written, maybe fetched, maybe not, when the log disappears.
        await write(server.emulator, 'SET', `${prefix}:a`, `${round}.a`);
        await write(server.emulator, 'SET', `${prefix}:b`, `${round}.b`);
        await server.restart();
        // The new log numbers from 1 again: ids the old feed would have asked for.
        for (let i = 0; i < 30; i++) await write(server.emulator, 'SET', `${prefix}:new:${i}`, `${round}.new`);
        const tail: ChangeEvent[] = [];
        const error = await drain(feed, tail);
        // Whatever it had fetched of the old log comes first, in order; nothing of the new log.
        expect(tail.map((event) => event.value)).toEqual([`${round}.a`, `${round}.b`].slice(0, tail.length));
        expect(error).toBeInstanceOf(CdcPositionLostError);
        const lost = error as CdcPositionLostError;
        expect(lost.reason).toBe('log-replaced');
        expect(lost.logId).toBe(logId);
        // From the first event it had not fetched: the first log held 20 (+2), each later one 30 + 20 (+2).
        expect(lost.firstLostId).toBe((round === 0 ? 20 : 50) + tail.length + 1);
        expect(lost.lastLostId).toBeUndefined();
        // Resuming from a checkpoint of the old log is refused too, naming the same log.
        const refused = await ferrite.cdc.subscribe(`${prefix}:*`, { from: handedOver }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(CdcPositionLostError);
        expect((refused as CdcPositionLostError).logId).toBe(logId);
        // The new log, knowingly from its start: exactly its events, and its id on each.
        feed = await ferrite.cdc.subscribe(`${prefix}:*`, { from: 'earliest', blockMs: 100 });
        const fresh = await take(feed, 30);
        expect(fresh.map((event) => event.value)).toEqual(Array.from({ length: 30 }, () => `${round}.new`));
        expect(new Set(fresh.map((event) => event.log))).toEqual(new Set([server.emulator.changeLog.logId]));
        expect(decodeCheckpoint(feed.checkpoint).logs[0]?.logId).toBe(server.emulator.changeLog.logId);
      }
      await feed.close();
    }, 120_000);
  });
}
