/**
 * Counting under faults: every increment reported successful is counted once, every increment
 * reported indeterminate is counted at most once, nothing else is counted, and no increment is
 * ever counted twice. Over real TCP through `faultProxy` (lost replies, RST and FIN cuts) on both
 * drivers and protocols, and on the memory transport with lost replies simulated (it has no
 * network to lose them on).
 *
 * How a run is checked: an observer on the emulator's memory transport (no faults) reads the true
 * value. At the end, each indeterminate increment is resent with its op-id through the observer:
 * if the value does not move, the server had applied it. The value before those resends must be
 * exactly the sum of the successes plus the applied indeterminate ones. Then every op-id sent is
 * resent once more: the value must not move at all.
 */
import {
  createFerrite,
  FerriteConnectionError,
  isAbortError,
  isConnectionError,
  isFerriteError,
  isMaybeApplied,
  isTimeoutError,
  type FerriteClient,
  type Transport,
  type WireCommand,
} from '@ferrite/core';
import { Emulator, faultProxy, memoryTransport, startEmulator, type FaultProxy, type RunningEmulator } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { connectThrough } from '@ferrite/test-transports';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrdtIndeterminateError } from '../errors.js';
import { crdt } from '../plugin.js';

type Client = FerriteClient<readonly [ReturnType<typeof crdt>]>;

const INCREMENTS = 1000;
const LOST_REPLIES = 100;
const EXTRA_CUTS = 20;
/** Client deadline per call: bounds how long a fault can hold up a run. */
const CALL_TIMEOUT_MS = 1500;
const TEST_TIMEOUT_MS = 180_000;
/** How long a client may take to answer again after a cut (generous: a loaded machine). */
const ANSWER_WAIT_MS = 20_000;

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from the seed in its message. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Plan {
  readonly seed: number;
  readonly amounts: readonly number[];
  readonly lostReply: ReadonlySet<number>;
  readonly cut: ReadonlySet<number>;
  readonly rst: (i: number) => boolean;
}

/** `count` increments of random signed amounts; `LOST_REPLIES` of them lose their reply, `EXTRA_CUTS` others race a cut. */
function plan(count: number, seed = Math.floor(Math.random() * 2 ** 31)): Plan {
  const next = random(seed);
  const pick = (n: number, taken: ReadonlySet<number>) => {
    const chosen = new Set<number>();
    while (chosen.size < n) {
      const i = Math.floor(next() * count);
      if (!taken.has(i)) chosen.add(i);
    }
    return chosen;
  };
  const lostReply = pick(LOST_REPLIES, new Set());
  const cut = pick(EXTRA_CUTS, lostReply);
  const amounts = Array.from({ length: count }, (_, i) => {
    const amount = Math.floor(next() * 2_000_001) - 1_000_000;
    return amount;
  });
  const modes = Array.from({ length: count }, () => next() < 0.5);
  return { seed, amounts, lostReply, cut, rst: (i) => modes[i] === true };
}

type Outcome =
  | { readonly kind: 'ok'; readonly value: number }
  | { readonly kind: 'indeterminate'; readonly error: CrdtIndeterminateError }
  | { readonly kind: 'not sent'; readonly error: unknown };

async function settle(call: Promise<number>): Promise<Outcome> {
  try {
    return { kind: 'ok', value: await call };
  } catch (error) {
    if (error instanceof CrdtIndeterminateError) return { kind: 'indeterminate', error };
    // Core proved the command never left the client; anything else is a defect of the run.
    if (isFerriteError(error) && (error as { maybeApplied?: boolean }).maybeApplied === false) return { kind: 'not sent', error };
    throw error;
  }
}

/** The transport as is, noting the op-id of each increment it is asked to send (resends included). */
function recordingOpIds(inner: Transport): { transport: Transport; opIds: () => string[] } {
  const sent: string[] = [];
  const transport: Transport = {
    name: inner.name,
    get protocol() {
      return inner.protocol;
    },
    send(command, options) {
      if (command.name === 'CRDT.COUNTER.INCR') sent.push(String(command.args[3]));
      return inner.send(command, options);
    },
    batch: (commands, options) => inner.batch(commands, options),
    dedicated: (options) => inner.dedicated(options),
    close: () => inner.close(),
  };
  return { transport, opIds: () => sent };
}

/** What became of a call whose reply was to be lost. */
interface LostReply {
  readonly outcome: Outcome;
  /**
   * Whether the reply lost was this call's: the server had applied it before the cut, and ran
   * nothing else meanwhile. When not (another command took the dropped reply), the call met a
   * plain cut instead, and a success without a resend proves nothing.
   */
  readonly replyLost: boolean;
}

/** How a target makes a fault happen to one call. */
interface Faults {
  /**
   * The server applies the call, its reply is lost, the connection is cut. `value` reads the
   * counter the call moves, past the faults; every client must be connected and idle (see
   * {@link answering}), since the proxy drops the next reply of any connection.
   */
  loseReply(call: () => Promise<number>, rst: boolean, value: () => Promise<number>): Promise<LostReply>;
  /** The connection is cut while the call may be anywhere on its way. */
  cutDuring(call: () => Promise<number>, rst: boolean): Promise<Outcome>;
  /** No more faults; the connections recover. */
  heal(): Promise<void>;
}

export interface Target {
  readonly label: string;
  /** A client through the faults (its own connection), an observer past them, and the faults. */
  open(): Promise<{ client: (maxAttempts?: number) => Promise<{ ferrite: Client; opIds: () => string[] }>; observer: Client; faults: Faults; close(): Promise<void> }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds or `ms` pass; a lost reply is only worth cutting for once the server has the command. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (done()) return;
    await sleep(1);
  }
}

export function tcpTarget(driver: 'ioredis' | 'node-redis' | 'valkey-glide', protocol: 2 | 3): Target {
  return {
    label: `${driver} RESP${protocol}`,
    async open() {
      const emulator = new Emulator();
      const server: RunningEmulator = await startEmulator({ emulator });
      const proxy: FaultProxy = await faultProxy({ target: { port: server.port } });
      const observer = createFerrite({ transport: memoryTransport({ emulator }), plugins: [crdt()] });
      const opened: Transport[] = [];
      const client = async (maxAttempts?: number) => {
        let transport: Transport;
        if (driver === 'valkey-glide') {
          // GLIDE reconnects by itself; its own deadline is beyond the client's.
          transport = await connectThrough(proxy, { driver, protocol, cluster: false, label: driver });
        } else if (driver === 'ioredis') {
          const redis = new Redis({ host: proxy.host, port: proxy.port, protocol, lazyConnect: true, retryStrategy: () => 5 });
          redis.on('error', () => {});
          await redis.connect();
          transport = ioredisTransport(redis, { closeClient: true });
        } else {
          const redis = createClient({ url: proxy.url, RESP: protocol, socket: { reconnectStrategy: () => 5 } });
          redis.on('error', () => {});
          await redis.connect();
          transport = nodeRedisTransport(redis, { closeClient: true });
        }
        opened.push(transport);
        const recording = recordingOpIds(transport);
        return { ferrite: createFerrite({ transport: recording.transport, plugins: [crdt()], timeout: CALL_TIMEOUT_MS, maxAttempts }), opIds: recording.opIds };
      };
      const faults: Faults = {
        async loseReply(call, rst, value) {
          const valueBefore = await value();
          const before = emulator.stats.commandsProcessed;
          proxy.dropNextReply();
          const outcome = settle(call());
          // The server has run a command once its count moves; the cut waits for that.
          await until(() => emulator.stats.commandsProcessed > before, CALL_TIMEOUT_MS);
          // That command was this call (and took the dropped reply) if it was the only one and the
          // value moved; the observer's read is one command more, so nothing ran during it either.
          // A reconnecting client's handshake would otherwise take the drop and the call be written
          // after the cut, on a new connection, answered: GLIDE holds a request while it reconnects.
          const ranOne = emulator.stats.commandsProcessed === before + 1;
          const moved = (await value()) !== valueBefore;
          const replyLost = ranOne && moved && emulator.stats.commandsProcessed === before + 2;
          await proxy.cut({ mode: rst ? 'rst' : 'fin' });
          // A drop the call never took (it had not run within the wait) must not take a later
          // reply: a reconnecting client's handshake answered by nothing waits forever.
          proxy.passThrough();
          return { outcome: await outcome, replyLost };
        },
        async cutDuring(call, rst) {
          const outcome = settle(call());
          await sleep(Math.random() < 0.5 ? 0 : 1);
          await proxy.cut({ mode: rst ? 'rst' : 'fin' });
          return outcome;
        },
        async heal() {
          proxy.passThrough();
        },
      };
      return {
        client,
        observer,
        faults,
        async close() {
          await Promise.allSettled(opened.map((t) => t.close()));
          await observer.close();
          await proxy.close();
          await server.close();
        },
      };
    },
  };
}

/**
 * The memory transport cannot lose a reply, so this wraps it: a lost reply is the command applied
 * and then a connection error; a cut is a connection error before or after applying, at random.
 */
export const memoryTarget: Target = {
  label: 'memory (lost replies simulated)',
  async open() {
    const emulator = new Emulator();
    const observer = createFerrite({ transport: memoryTransport({ emulator }), plugins: [crdt()] });
    let fault: 'lose reply' | 'cut' | undefined;
    const client = async (maxAttempts?: number) => {
      const inner = memoryTransport({ emulator });
      const lossy: Transport = {
        name: 'lossy memory',
        protocol: inner.protocol,
        async send(command: WireCommand, options) {
          const now = fault;
          fault = undefined;
          if (now === 'cut' && Math.random() < 0.5) throw new FerriteConnectionError('simulated cut before the server read the command');
          const reply = await inner.send(command, options);
          if (now !== undefined) throw new FerriteConnectionError('simulated lost reply');
          return reply;
        },
        batch: (commands, options) => inner.batch(commands, options),
        dedicated: (options) => inner.dedicated(options),
        close: () => inner.close(),
      };
      const recording = recordingOpIds(lossy);
      return { ferrite: createFerrite({ transport: recording.transport, plugins: [crdt()], timeout: CALL_TIMEOUT_MS, maxAttempts }), opIds: recording.opIds };
    };
    return {
      client,
      observer,
      faults: {
        loseReply: async (call) => ((fault = 'lose reply'), { outcome: await settle(call()), replyLost: true }),
        cutDuring: (call) => ((fault = 'cut'), settle(call())),
        async heal() {
          fault = undefined;
        },
      },
      close: () => observer.close(),
    };
  },
};

/**
 * Waits until every client answers a read: a client whose connection a cut ended fails its next
 * call (GLIDE) or reconnects in the background, and its handshake must not cross the proxy while
 * a reply is to be dropped.
 */
async function answering(clients: ReadonlyArray<{ ferrite: Client }>, key: string): Promise<void> {
  const deadline = Date.now() + ANSWER_WAIT_MS;
  const answers = async (ferrite: Client): Promise<void> => {
    for (;;) {
      try {
        await ferrite.crdt.counter(key).get();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(5);
      }
    }
  };
  await Promise.all(clients.map(({ ferrite }) => answers(ferrite)));
}

let keys = 0;
const uniqueKey = (prefix: string) => `${prefix}-${++keys}-${Date.now().toString(36)}`;

/** The counting cases on one target (a test file per driver: faults.<driver>.test.ts, so they overlap). */
export function describeCounterUnderFaults(target: Target): void {
  describe(`crdt counter under faults (${target.label})`, () => {
    let opened: Awaited<ReturnType<Target['open']>>;
    beforeAll(async () => {
      opened = await target.open();
    });
    afterAll(async () => {
      await opened?.close();
    });

    /** Resends an op-id past the faults; returns whether the server had already applied it. */
    async function wasApplied(key: string, amount: number, opId: string): Promise<boolean> {
      const counter = opened.observer.crdt.counter(key);
      const before = await counter.get();
      const after = await counter.incr(amount, { opId });
      if (after === before) return true;
      expect(after, `op-id ${opId} counted by its resend`).toBe(before + amount);
      return false;
    }

    it(`counts ${INCREMENTS} random increments exactly, with ${LOST_REPLIES} lost replies and ${EXTRA_CUTS} more cuts`, async () => {
      const run = plan(INCREMENTS);
      const key = uniqueKey('faults');
      const context = `seed ${run.seed}`;
      // Even increments go through a client that retries (core's default), odd ones through one
      // that does not, so lost replies end both ways: recovered by a resend, or indeterminate.
      const clients = [await opened.client(), await opened.client(1)];
      const observed = opened.observer.crdt.counter(key);

      let succeeded = 0;
      const lost = [0, 0];
      const recovered = [0, 0];
      let notLost = 0;
      const indeterminate: CrdtIndeterminateError[] = [];
      const notSent: Array<{ amount: number; opId: string | undefined }> = [];
      for (let i = 0; i < INCREMENTS; i++) {
        const amount = run.amounts[i] as number;
        const { ferrite, opIds } = clients[i % 2]!;
        const counter = ferrite.crdt.counter(key);
        const sentBefore = opIds().length;
        const call = () => counter.incr(amount);
        let outcome: Outcome;
        let replyLost = false;
        if (run.lostReply.has(i)) {
          await answering(clients, key);
          ({ outcome, replyLost } = await opened.faults.loseReply(call, run.rst(i), () => observed.get()));
          if (replyLost) lost[i % 2]!++;
          else notLost++;
        } else if (run.cut.has(i)) {
          outcome = await opened.faults.cutDuring(call, run.rst(i));
        } else {
          outcome = await settle(call());
        }
        if (outcome.kind === 'ok') {
          succeeded += amount;
          if (replyLost) recovered[i % 2]!++;
          // One writer, one call at a time: a success reports the server's value after it, never a guess.
          expect(outcome.value, `${context}, increment ${i}`).toBe(await observed.get());
        } else if (outcome.kind === 'indeterminate') {
          expect(outcome.error).toMatchObject({ maybeApplied: true, key, amount });
          // It wraps a timeout, a lost connection or an abort, and answers that guard as core's own errors do.
          const guards = { TIMEOUT: isTimeoutError, CONNECTION: isConnectionError, ABORTED: isAbortError } as const;
          expect(guards[outcome.error.code as keyof typeof guards]?.(outcome.error), `${context}: ${outcome.error.code}`).toBe(true);
          expect(isMaybeApplied(outcome.error)).toBe(true);
          indeterminate.push(outcome.error);
        } else {
          notSent.push({ amount, opId: opIds().length > sentBefore ? opIds().at(-1) : undefined });
        }
      }
      await opened.faults.heal();

      const final = await observed.get();
      let applied = 0;
      for (const error of indeterminate) if (await wasApplied(key, error.amount as number, error.opId)) applied += error.amount as number;
      for (const { amount, opId } of notSent) {
        if (opId !== undefined) expect(await wasApplied(key, amount, opId), `${context}: reported never sent, but applied`).toBe(amount === 0);
      }
      const tally =
        `${context}: lost replies recovered ${recovered[0]}/${lost[0]} with retries, ${recovered[1]}/${lost[1]} without; ` +
        `${indeterminate.length} indeterminate, ${notSent.length} not sent; ${notLost} replies to lose not this call's`;
      expect(final, tally).toBe(succeeded + applied);
      // Nearly every planned lost reply really is one (a zero amount, or a stall past the wait, is not).
      expect(lost[0]! + lost[1]!, tally).toBeGreaterThanOrEqual(Math.floor(0.9 * LOST_REPLIES));
      // Core resends a lost increment with its op-id: nearly all recover (a reconnect can outlast the deadline on a loaded machine).
      expect(recovered[0], tally).toBeGreaterThanOrEqual(Math.floor(0.9 * lost[0]!));
      // Without resends a lost reply is reported indeterminate, never as a success.
      expect(recovered[1], tally).toBe(0);
      expect(indeterminate.length, tally).toBeGreaterThanOrEqual(lost[1]!);

      // Every op-id ever sent, resent with an amount that would show: none may count again.
      const settled = await observed.get();
      const ids = [...new Set([...clients[0]!.opIds(), ...clients[1]!.opIds()])];
      expect(ids.length).toBeGreaterThanOrEqual(INCREMENTS - notSent.length);
      for (const opId of ids) expect(await observed.incr(1_000_003, { opId }), `${context}: op-id ${opId} counted twice`).toBe(settled);
    }, TEST_TIMEOUT_MS);

    it(`counts a caller-supplied op-id once when two clients both send each of ${INCREMENTS / 2} increments`, async () => {
      const count = INCREMENTS / 2;
      const run = plan(count * 2);
      const key = uniqueKey('shared-op-id');
      const context = `seed ${run.seed}`;
      // One client retries (core's default), the other does not, so some sends end indeterminate.
      const clients = [await opened.client(), await opened.client(1)];
      const observed = opened.observer.crdt.counter(key);
      const prefix = `${key}:message`;

      const appliedOnce = new Map<number, boolean>(); // true: some client saw it succeed
      for (let i = 0; i < count; i++) {
        const amount = run.amounts[i] as number;
        for (const [which, { ferrite }] of clients.entries()) {
          const slot = 2 * i + which;
          const call = () => ferrite.crdt.counter(key).incr(amount, { opId: `${prefix}:${i}` });
          let outcome: Outcome;
          if (run.lostReply.has(slot)) {
            await answering(clients, key);
            ({ outcome } = await opened.faults.loseReply(call, run.rst(slot), () => observed.get()));
          } else if (run.cut.has(slot)) {
            outcome = await opened.faults.cutDuring(call, run.rst(slot));
          } else {
            outcome = await settle(call());
          }
          if (outcome.kind === 'ok') {
            expect(outcome.value, `${context}, increment ${i} from client ${which}`).toBe(await observed.get());
            appliedOnce.set(i, true);
          } else if (outcome.kind === 'indeterminate') {
            expect(outcome.error.opId).toBe(`${prefix}:${i}`);
          }
        }
      }
      await opened.faults.heal();

      const final = await observed.get();
      let expected = 0;
      for (let i = 0; i < count; i++) {
        const amount = run.amounts[i] as number;
        if (appliedOnce.get(i) === true || (await wasApplied(key, amount, `${prefix}:${i}`))) expected += amount;
      }
      expect(final, context).toBe(expected);

      // Now every increment is applied once: the total is the sum of all, and resending any changes nothing.
      const total = run.amounts.slice(0, count).reduce((sum, amount) => sum + amount, 0);
      expect(await observed.get(), context).toBe(total);
      for (let i = 0; i < count; i++) {
        expect(await clients[i % 2]!.ferrite.crdt.counter(key).incr(run.amounts[i] as number, { opId: `${prefix}:${i}` })).toBe(total);
      }
    }, TEST_TIMEOUT_MS);
  });
}
