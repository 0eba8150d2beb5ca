import { createFerrite, FerriteAbortError, FerriteConnectionError, FerriteTimeoutError, isConnectionError, isTimeoutError, type Transport } from '@ferrite/core';
import { Emulator, faultProxy, memoryTransport, startEmulator, type FaultProxy } from '@ferrite/emulator';
import { connectThrough, type TransportTarget } from '@ferrite/test-transports';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { afterEachCommand, borrowed, feedConnections, subscriptionsIn, take, unique, write, type CdcClient } from './helpers.js';
import { decodeCheckpoint } from '../checkpoint.js';
import { cdc } from '../plugin.js';
import type { ChangeEvent, ChangeFeed, ChangeFeedReconnect } from '../types.js';

/**
 * The feed's connection goes through a fault proxy (TCP) or is killed in the emulator (memory);
 * the producer writes in-process, so it is never cut.
 */

/** The client deadline for the fault runs: a blackholed poll is noticed after blockMs + this. */
const TIMEOUT_MS = 400;
const BLOCK_MS = 200;
/** The deadline of a subscribe call that cannot connect: short, it is what the case measures. */
const SETUP_DEADLINE_MS = 300;
/**
 * The deadline of a subscribe call whose every attempt is cut: long enough for several attempts
 * on a loaded machine (each opens a connection and sends two commands before it is cut).
 */
const RETRIED_SETUP_DEADLINE_MS = 1000;
/** The deadline of a subscribe call that is to ride out a cut: generous, a loaded machine may be slow to reconnect. */
const RIDING_DEADLINE_MS = 5000;
/** What a settled call may take past its deadline, besides the timers' lateness: a turn of the loop and a close. */
const SETTLE_SLACK_MS = 150;

type Cut = 'rst' | 'fin' | 'blackhole';

interface Rig {
  readonly emulator: Emulator;
  readonly ferrite: CdcClient;
  /** Another client of the same server, reaching it as {@link ferrite} does (faults included); the rig closes it too. */
  client(): Promise<CdcClient>;
  /** Cuts the feed's connection; blackholes hold it silent for a second. */
  cut(kind: Cut): Promise<void>;
  readonly kinds: readonly Cut[];
  /**
   * The next `count` runs of `CDC.SUBSCRIBE` on the server are applied, then the server closes
   * each one's connection before the reply is written (as CLIENT KILL at that moment would): the
   * client sees its connection lost with the command on the wire. Other connections are left
   * alone. 0 ends it.
   */
  cutAfterSubscribes(count: number): void;
  /** New connections fail while on (over TCP, reset by the proxy as accepted); open ones keep working. */
  refuseNewConnections(on: boolean): void;
  /** The proxy in front of the emulator; absent in process. */
  readonly proxy?: FaultProxy;
  close(): Promise<void>;
}

async function rig(target: TransportTarget): Promise<Rig> {
  const emulator = new Emulator();
  const clients: CdcClient[] = [];
  let cutsLeft = 0;
  const stopWatching = afterEachCommand(emulator, (session, name) => {
    if (cutsLeft === 0 || name !== 'CDC.SUBSCRIBE') return;
    cutsLeft--;
    emulator.closeSession(session);
  });
  if (target.driver === 'memory') {
    let refusing = false;
    const client = async () => {
      const transport = memoryTransport({ emulator, protocol: target.protocol });
      // In process there is no port to refuse: a connection that cannot be made, as core reports one.
      const refused: Transport = borrowed(transport, {
        dedicated: (options) => (refusing ? Promise.reject(new FerriteConnectionError('connect ECONNREFUSED (the in-process server refused it)', { maybeApplied: false })) : transport.dedicated(options)),
        close: () => transport.close(),
      });
      const ferrite = createFerrite({ transport: refused, plugins: [cdc()], timeout: TIMEOUT_MS });
      clients.push(ferrite);
      return ferrite;
    };
    return {
      emulator,
      ferrite: await client(),
      client,
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
      cutAfterSubscribes: (count) => (cutsLeft = count),
      refuseNewConnections: (on) => (refusing = on),
      async close() {
        await Promise.allSettled(clients.map((ferrite) => ferrite.close()));
        stopWatching();
      },
    };
  }
  const server = await startEmulator({ emulator });
  const proxy: FaultProxy = await faultProxy({ target: { port: server.port } });
  const client = async () => {
    const ferrite = createFerrite({ transport: await connectThrough(proxy, target), plugins: [cdc()], timeout: TIMEOUT_MS });
    clients.push(ferrite);
    return ferrite;
  };
  return {
    emulator,
    ferrite: await client(),
    client,
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
    cutAfterSubscribes: (count) => (cutsLeft = count),
    refuseNewConnections: (on) => proxy.refuseNewConnections(on),
    async close() {
      await Promise.allSettled(clients.map((ferrite) => ferrite.close()));
      await proxy.close();
      await server.close();
      stopWatching();
    },
  };
}

/** Handles and requests the process holds (sockets, timers, …), by kind. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/**
 * Waits (up to 5 s) until the process holds no more handles of any kind than `before`: a driver
 * may take a moment to let a closed socket go (ioredis waits up to its `disconnectTimeout`, 2 s).
 * Polled with plain pauses, so that no timer of the wait itself is counted.
 */
async function backTo(before: Map<string, number>): Promise<void> {
  const extra = () => [...activeResources()].filter(([kind, count]) => count > (before.get(kind) ?? 0));
  for (const giveUpAt = performance.now() + 5000; extra().length > 0 && performance.now() < giveUpAt; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(Object.fromEntries(extra()), 'handles beyond those held before').toEqual({});
}

/**
 * The latest a call started now with a deadline of `ms` may settle: judged from a timer armed now
 * for `ms` (on a loaded machine every timer fires late, the call's too), plus that lateness once
 * more and {@link SETTLE_SLACK_MS}.
 */
function settleLimit(ms: number): Promise<number> {
  const due = performance.now() + ms;
  return new Promise((resolve) => {
    setTimeout(() => {
      const firedAt = performance.now();
      resolve(firedAt + (firedAt - due) + SETTLE_SLACK_MS);
    }, ms);
  });
}

const valuesOf = (events: readonly ChangeEvent[]): Array<string | null> => events.map((event) => event.value);

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

    // The setup cases come first: the cuts and blackholes below leave the shared client and the
    // server busy for a while (GLIDE keeps a blackholed connection open long after close()).

    /** Waits until the feeds of earlier cases have let go of their server subscriptions. */
    const noSubscriptions = () => vi.waitFor(async () => expect(await subscriptionsIn(setup.emulator)).toBe(0), { timeout: 5000, interval: 10 });

    it('rides out a connection cut while CDC.SUBSCRIBE is on the wire: subscribe() resolves, the server holds one subscription, every later write arrives once', async () => {
      await noSubscriptions();
      const prefix = unique('setup-cut');
      const reconnects: ChangeFeedReconnect[] = [];
      setup.cutAfterSubscribes(1);
      await using feed = await setup.ferrite.withOptions({ timeout: RIDING_DEADLINE_MS }).cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS, onReconnect: (reconnect) => reconnects.push(reconnect) });
      expect(reconnects.map((reconnect) => [reconnect.attempt, isConnectionError(reconnect.error)])).toEqual([[1, true]]);
      // The cut connection's subscription went with it (the server may see the cut a moment late):
      // one subscription, on one feed connection.
      await vi.waitFor(async () => expect(await subscriptionsIn(setup.emulator)).toBe(1), { timeout: 5000, interval: 10 });
      expect(feedConnections(setup.emulator)).toBe(1);
      for (let i = 0; i < 3; i++) await write(setup.emulator, 'SET', `${prefix}:${i}`, String(i));
      expect(valuesOf(await take(feed, 3))).toEqual(['0', '1', '2']);
      // Nothing repeated behind them: the next event is the next write.
      await write(setup.emulator, 'SET', `${prefix}:last`, 'last');
      expect(valuesOf(await take(feed, 1))).toEqual(['last']);
      expect(reconnects).toHaveLength(1);
    });

    it('resumes a checkpoint exactly when the connection is cut while CDC.SUBSCRIBE is on the wire', async () => {
      await noSubscriptions();
      const prefix = unique('setup-cut-checkpoint');
      let checkpoint: ChangeFeed['checkpoint'];
      {
        await using first = await setup.ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS });
        for (let i = 0; i < 4; i++) await write(setup.emulator, 'SET', `${prefix}:${i}`, String(i));
        expect(valuesOf(await take(first, 2))).toEqual(['0', '1']);
        checkpoint = first.checkpoint;
      }
      await write(setup.emulator, 'SET', `${prefix}:4`, '4');
      const reconnects: ChangeFeedReconnect[] = [];
      setup.cutAfterSubscribes(1);
      await using resumed = await setup.ferrite
        .withOptions({ timeout: RIDING_DEADLINE_MS })
        .cdc.subscribe(`${prefix}:*`, { from: checkpoint, blockMs: BLOCK_MS, onReconnect: (reconnect) => reconnects.push(reconnect) });
      expect(reconnects).toHaveLength(1);
      await write(setup.emulator, 'SET', `${prefix}:5`, '5');
      expect(valuesOf(await take(resumed, 4))).toEqual(['2', '3', '4', '5']);
      await write(setup.emulator, 'SET', `${prefix}:6`, '6');
      expect(valuesOf(await take(resumed, 1))).toEqual(['6']);
      await vi.waitFor(async () => expect(await subscriptionsIn(setup.emulator)).toBe(1), { timeout: 5000, interval: 10 });
    });

    // ioredis (and the in-process rig) report a refused connection at once, so the feed retries
    // it; node-redis and GLIDE keep reconnecting inside the driver until the call's deadline, so
    // the feed's one attempt ends with the CONNECT's timeout.
    const driverRetriesConnecting = target.driver === 'node-redis' || target.driver === 'valkey-glide';

    it(`rejects with the transient error by its deadline (${SETUP_DEADLINE_MS} ms) while new connections are refused, leaving no socket or timer behind`, async () => {
      // An earlier case's cut may have dropped the shared connection: counted once it is back.
      await setup.ferrite.send('PING');
      const before = activeResources();
      const prefix = unique('setup-refused');
      const reconnects: ChangeFeedReconnect[] = [];
      const view = setup.ferrite.withOptions({ timeout: SETUP_DEADLINE_MS });
      setup.refuseNewConnections(true);
      try {
        const limit = settleLimit(SETUP_DEADLINE_MS);
        const outcome = await view.cdc.subscribe(`${prefix}:*`, { onReconnect: (reconnect) => reconnects.push(reconnect) }).then(
          (feed) => feed,
          (error: unknown) => error,
        );
        const settledAt = performance.now();
        // The last transient error: the refusal, or the deadline cutting the last attempt short
        // (always so where the driver keeps reconnecting until the deadline).
        expect(isConnectionError(outcome) || isTimeoutError(outcome), String(outcome)).toBe(true);
        if (driverRetriesConnecting) expect(outcome).toBeInstanceOf(FerriteTimeoutError);
        expect(settledAt).toBeLessThanOrEqual(await limit);
      } finally {
        setup.refuseNewConnections(false);
      }
      if (!driverRetriesConnecting) {
        // It kept trying meanwhile, and said so each time.
        expect(reconnects.length).toBeGreaterThanOrEqual(2);
        expect(reconnects.map((reconnect) => reconnect.attempt)).toEqual(reconnects.map((_, index) => index + 1));
        for (const reconnect of reconnects) expect(reconnect.error).toBeInstanceOf(FerriteConnectionError);
      }
      await backTo(before);
    });

    it(`rejects with the transient error by its deadline (${RETRIED_SETUP_DEADLINE_MS} ms) when every attempt is cut, after retrying`, async () => {
      const reconnects: ChangeFeedReconnect[] = [];
      const view = setup.ferrite.withOptions({ timeout: RETRIED_SETUP_DEADLINE_MS });
      setup.cutAfterSubscribes(Infinity);
      try {
        const limit = settleLimit(RETRIED_SETUP_DEADLINE_MS);
        const outcome = await view.cdc.subscribe(`${unique('setup-always-cut')}:*`, { onReconnect: (reconnect) => reconnects.push(reconnect) }).then(
          (feed) => feed,
          (error: unknown) => error,
        );
        const settledAt = performance.now();
        // The last transient error: the cut, or the deadline cutting the last attempt short.
        expect(isConnectionError(outcome) || isTimeoutError(outcome), String(outcome)).toBe(true);
        expect(settledAt).toBeLessThanOrEqual(await limit);
      } finally {
        setup.cutAfterSubscribes(0);
      }
      expect(reconnects.length).toBeGreaterThanOrEqual(2);
      expect(reconnects.map((reconnect) => reconnect.attempt)).toEqual(reconnects.map((_, index) => index + 1));
      for (const reconnect of reconnects) expect(reconnect.error).toBeInstanceOf(FerriteConnectionError);
      // Every attempt's subscription went with its connection (the handles of the process are counted in the cases around).
      await vi.waitFor(async () => expect(await subscriptionsIn(setup.emulator)).toBe(0), { timeout: 5000, interval: 10 });
    });

    it('rejects promptly with "closed before the change feed started" when the client closes while the setup retries', async () => {
      await setup.ferrite.send('PING');
      const before = activeResources();
      const client = await setup.client();
      const reconnects: ChangeFeedReconnect[] = [];
      // Every attempt is cut, on every driver: the setup retries until the client closes.
      setup.cutAfterSubscribes(Infinity);
      try {
        // No deadline (timeout: Infinity): only the close ends the retries.
        const subscribing = client
          .withOptions({ timeout: Infinity })
          .cdc.subscribe(`${unique('setup-closed')}:*`, { onReconnect: (reconnect) => reconnects.push(reconnect) })
          .then(
            (feed) => feed,
            (error: unknown) => error,
          );
        await vi.waitFor(() => expect(reconnects.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 5 });
        const closing = performance.now();
        await client.close();
        const outcome = await subscribing;
        expect(performance.now() - closing).toBeLessThan(1000);
        expect(outcome).toBeInstanceOf(FerriteConnectionError);
        expect(outcome).toMatchObject({ message: expect.stringMatching(/closed before the change feed started/), maybeApplied: false });
      } finally {
        setup.cutAfterSubscribes(0);
      }
      await backTo(before);
      expect(await subscriptionsIn(setup.emulator)).toBe(0);
    });

    it('rejects promptly with FerriteAbortError when its signal fires while the setup retries', async () => {
      const reconnects: ChangeFeedReconnect[] = [];
      const controller = new AbortController();
      setup.cutAfterSubscribes(Infinity);
      try {
        const subscribing = setup.ferrite
          .withOptions({ timeout: 30_000 })
          .cdc.subscribe(`${unique('setup-aborted')}:*`, { signal: controller.signal, onReconnect: (reconnect) => reconnects.push(reconnect) })
          .then(
            (feed) => feed,
            (error: unknown) => error,
          );
        await vi.waitFor(() => expect(reconnects.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 5 });
        const aborting = performance.now();
        controller.abort();
        const outcome = await subscribing;
        expect(performance.now() - aborting).toBeLessThan(1000);
        expect(outcome).toBeInstanceOf(FerriteAbortError);
      } finally {
        setup.cutAfterSubscribes(0);
      }
      // The connections it opened went with it (the handles of the process are counted in the case above).
      await vi.waitFor(async () => expect(await subscriptionsIn(setup.emulator)).toBe(0), { timeout: 5000, interval: 10 });
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
