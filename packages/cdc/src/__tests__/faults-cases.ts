import { createFerrite } from '@ferrite/core';
import { Emulator, faultProxy, memoryTransport, startEmulator, type FaultProxy } from '@ferrite/emulator';
import { connectThrough, type TransportTarget } from '@ferrite/test-transports';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { take, unique, write, type CdcClient } from './helpers.js';
import { decodeCheckpoint } from '../checkpoint.js';
import { cdc } from '../plugin.js';

/**
 * The feed's connection goes through a fault proxy (TCP) or is killed in the emulator (memory);
 * the producer writes in-process, so it is never cut.
 */

/** The client deadline for the fault runs: a blackholed poll is noticed after blockMs + this. */
const TIMEOUT_MS = 400;
const BLOCK_MS = 200;

type Cut = 'rst' | 'fin' | 'blackhole';

interface Rig {
  readonly emulator: Emulator;
  readonly ferrite: CdcClient;
  /** Cuts the feed's connection; blackholes hold it silent for a second. */
  cut(kind: Cut): Promise<void>;
  readonly kinds: readonly Cut[];
  /** The proxy in front of the emulator; absent in process. */
  readonly proxy?: FaultProxy;
  close(): Promise<void>;
}

async function rig(target: TransportTarget): Promise<Rig> {
  const emulator = new Emulator();
  if (target.driver === 'memory') {
    const transport = memoryTransport({ emulator, protocol: target.protocol });
    const ferrite = createFerrite({ transport, plugins: [cdc()], timeout: TIMEOUT_MS });
    return {
      emulator,
      ferrite,
      // In process there is no socket to reset or blackhole: the feed's session is closed, as
      // CLIENT KILL would.
      kinds: ['rst'],
      async cut() {
        const connections = emulator.stats.connectionsReceived;
        let closed = 0;
        for (const session of emulator.openSessions()) {
          if (/^cdc\.(subscribe|poll|unsubscribe|info)$/i.test(session.lastCommand)) {
            emulator.closeSession(session);
            closed++;
          }
        }
        // A poll blocked on a session closed in process ends with its BLOCK: let the feed come back
        // before the next cut, so that the cuts keep reaching it (bounded: it may be reconnecting).
        if (closed > 0) await vi.waitFor(() => expect(emulator.stats.connectionsReceived).toBeGreaterThan(connections), { timeout: 2000, interval: 5 }).catch(() => {});
      },
      close: () => ferrite.close(),
    };
  }
  const server = await startEmulator({ emulator });
  const proxy: FaultProxy = await faultProxy({ target: { port: server.port } });
  const transport = await connectThrough(proxy, target);
  const ferrite = createFerrite({ transport, plugins: [cdc()], timeout: TIMEOUT_MS });
  return {
    emulator,
    ferrite,
    // One blackhole in six cuts: each costs a second of silence plus the time to notice it.
    kinds: ['rst', 'fin', 'rst', 'blackhole', 'fin', 'rst'],
    proxy,
    async cut(kind) {
      if (kind === 'blackhole') {
        proxy.blackhole(true);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        proxy.passThrough();
      } else {
        await proxy.cut({ mode: kind });
      }
    },
    async close() {
      await ferrite.close();
      await proxy.close();
      await server.close();
    },
  };
}

/** The fault cases for one transport target (a test file per driver: faults.<driver>.test.ts). */
export function describeCdcUnderFaults(target: TransportTarget): void {
  describe(`cdc under faults (${target.label})`, () => {
    let setup: Rig;
    beforeAll(async () => {
      setup = await rig(target);
    });
    afterAll(async () => {
      await setup?.close();
    });

    const writes = 10_000;
    const cuts = 50;

    it(`hands over ${writes} writes exactly once and in order while the feed's connection is cut ${cuts} times`, async () => {
      const prefix = unique('cuts');
      const connectionsBefore = setup.emulator.stats.connectionsReceived;
      const feed = await setup.ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS, batchSize: 100 });
      const values: string[] = [];
      const ids: number[] = [];
      const consumer = (async () => {
        for await (const event of feed) {
          values.push(event.value as string);
          ids.push(event.id);
          if (values.length === writes) break;
        }
      })();
      const every = writes / cuts;
      for (let i = 0; i < writes; i++) {
        await write(setup.emulator, 'SET', `${prefix}:${i}`, String(i));
        if ((i + 1) % every === 0) {
          const n = (i + 1) / every;
          await setup.cut(setup.kinds[n % setup.kinds.length] as Cut);
          // Vary where the next cut lands: mid-poll, mid-reconnect, mid-subscribe.
          await new Promise((resolve) => setTimeout(resolve, n % 4 === 0 ? 30 : n % 3));
        }
      }
      await consumer;
      expect(values.length).toBe(writes);
      const expected = Array.from({ length: writes }, (_, i) => String(i));
      // Compare as one string: a 10 000-element diff is unreadable.
      expect(values.join(',')).toBe(expected.join(','));
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1] as number);
      // The checkpoint stands right after the last event handed over.
      expect(decodeCheckpoint(feed.checkpoint).logs[0]?.lastHanded).toBe(ids.at(-1));
      // The cuts really reached the feed: it connected again after many of them (not after all: a
      // cut that lands while the feed is between connections has nothing to cut).
      expect(setup.emulator.stats.connectionsReceived - connectionsBefore).toBeGreaterThanOrEqual(Math.floor(cuts / 4));
    }, 120_000);

    if (target.driver !== 'memory') {
      it('notices a silent (blackholed) connection within blockMs plus the client deadline, and resumes after it', async () => {
        const proxy = setup.proxy as FaultProxy;
        const prefix = unique('silent');
        await using feed = await setup.ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS });
        await write(setup.emulator, 'SET', `${prefix}:a`, 'before');
        expect((await take(feed, 1))[0]?.value).toBe('before');
        const connections = setup.emulator.stats.connectionsReceived;
        proxy.blackhole(true);
        const silentSince = performance.now();
        try {
          await write(setup.emulator, 'SET', `${prefix}:b`, 'during');
          // The feed gives up on the silent connection and opens another.
          await vi.waitFor(() => expect(setup.emulator.stats.connectionsReceived).toBeGreaterThan(connections), { timeout: 5000, interval: 10 });
          // blockMs + deadline, plus the first reconnect delay and a margin for a loaded machine.
          expect(performance.now() - silentSince).toBeLessThan(BLOCK_MS + TIMEOUT_MS + 400);
        } finally {
          proxy.passThrough();
        }
        await write(setup.emulator, 'SET', `${prefix}:c`, 'after');
        expect((await take(feed, 2)).map((e) => e.value)).toEqual(['during', 'after']);
      }, 30_000);
    }
  });
}
