import {
  createFerrite,
  defineCommand,
  definePlugin,
  isAbortError,
  isConnectionError,
  isTimeoutError,
  readInteger,
  type FerriteClient,
  type PluginContext,
  type Reply,
  type Transport,
} from '@ferrite/core';
import { afterEach, describe, expect, it } from 'vitest';

/** The fault proxy the suite drives (the emulator's `faultProxy` has these and more). */
export interface FaultProxyControls {
  readonly host: string;
  readonly port: number;
  passThrough(): void;
  delay(ms: number): void;
  blackhole(on?: boolean): void;
  cut(options?: { readonly mode?: 'fin' | 'rst' }): Promise<void>;
  refuseNewConnections(on?: boolean): void;
  dropNextReply(): void;
  close(): Promise<void>;
}

/** A server behind the proxy whose state the suite reads without going through the proxy. */
export interface FaultServer {
  readonly port: number;
  /** The integer stored at `key` (0 when missing), read directly on the server. */
  counter(key: string): Promise<number>;
  /** Stops the server at once: every connection closes, new ones are refused. */
  kill(): Promise<void>;
}

/** A transport under test, connected to `address` the way its setup builds it. */
export interface FaultTarget {
  readonly transport: Transport;
  /** Releases what the setup opened besides the transport (a user's client). Runs after `close`. */
  teardown(): Promise<void>;
}

export interface FaultSuiteSetup {
  startServer(): Promise<FaultServer>;
  startProxy(target: { readonly port: number }): Promise<FaultProxyControls>;
  connect(address: { readonly host: string; readonly port: number }): Promise<FaultTarget>;
}

export interface FaultSuiteOptions {
  /** Skip the suite with this reason. */
  readonly skip?: string | null;
  /** Trials of the dropped-reply INCR. Default 100. */
  readonly trials?: number;
}

/** The deadline the suite gives its clients: short, so faults show quickly. */
const TIMEOUT_MS = 1200;
/** Every promise must have settled this long after its deadline. */
const SETTLE_MS = 250;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const getCommand = defineCommand({
  name: 'GET',
  readonly: true,
  retryable: true,
  encode: (key: string) => [key],
  decode: (reply: Reply) => reply,
});

/** What the suite calls besides `send`: a retryable command, and a dedicated connection. */
const probe = definePlugin({
  name: 'probe',
  setup: (ctx: PluginContext) => ({
    get: (key: string) => ctx.call(getCommand, key),
    dedicated: () => ctx.dedicated(),
  }),
});

type Client = FerriteClient<readonly [typeof probe]>;

interface Outcome {
  readonly settledAt: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: unknown;
}

/** Records how and when each promise settled. */
function watch(promises: readonly Promise<unknown>[]): Array<Outcome | undefined> {
  const outcomes = new Array<Outcome | undefined>(promises.length);
  promises.forEach((promise, index) => {
    promise.then(
      (value) => (outcomes[index] = { settledAt: performance.now(), ok: true, value }),
      (error: unknown) => (outcomes[index] = { settledAt: performance.now(), ok: false, error }),
    );
  });
  return outcomes;
}

function maybeAppliedOf(error: unknown): boolean | undefined {
  const flag = (error as { maybeApplied?: unknown } | null)?.maybeApplied;
  return typeof flag === 'boolean' ? flag : undefined;
}

function socketsOpen(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}

/** Sends PING until it succeeds: the client is connected and past its handshake. */
async function whenConnected(ferrite: Client): Promise<void> {
  await until('the client to be connected', () => ferrite.send('PING').then(() => true, () => false), 15_000);
}

type Fault = 'blackhole' | 'rst' | 'fin' | 'server killed' | 'new connections refused';

/**
 * The fault suite every transport runs: through a fault proxy in front of a real TCP server,
 * every call settles by its deadline with a typed error that says whether it may have run, a
 * non-retryable command is never applied twice, `close()` is bounded and leaves no socket behind,
 * and a signal aborts before, after and during a blocking call.
 */
export function describeFaultSuite(label: string, setup: FaultSuiteSetup, options: FaultSuiteOptions = {}): void {
  describe.skipIf(Boolean(options.skip))(`fault suite: ${label}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    let keyCounter = 0;
    const key = (name: string) => `faults:${label.replace(/\s+/g, '-')}:${process.pid}:${name}:${++keyCounter}`;

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    });

    async function open(timeout?: number) {
      const server = await setup.startServer();
      cleanups.push(() => server.kill());
      const proxy = await setup.startProxy({ port: server.port });
      cleanups.push(() => proxy.close());
      const target = await setup.connect({ host: proxy.host, port: proxy.port });
      const ferrite: Client = createFerrite({ transport: target.transport, plugins: [probe], ...(timeout === undefined ? {} : { timeout }) });
      cleanups.push(async () => {
        await ferrite.close();
        await target.teardown();
      });
      await whenConnected(ferrite);
      return { server, proxy, ferrite };
    }

    const faults: ReadonlyArray<readonly [Fault, (proxy: FaultProxyControls, server: FaultServer) => Promise<void>]> = [
      ['blackhole', async (proxy) => proxy.blackhole()],
      ['rst', (proxy) => proxy.cut({ mode: 'rst' })],
      ['fin', (proxy) => proxy.cut({ mode: 'fin' })],
      ['server killed', (_, server) => server.kill()],
      ['new connections refused', async (proxy) => (proxy.refuseNewConnections(), await proxy.cut({ mode: 'rst' }))],
    ];

    for (const [fault, inject] of faults) {
      it(`settles 1000 calls in flight by the deadline under: ${fault}, each error typed with maybeApplied right`, async () => {
        const { server, proxy, ferrite } = await open(TIMEOUT_MS);
        const counter = key('incr');
        const reads = key('read');
        // Half non-retryable writes sent raw, half a retryable read through a plugin.
        const calls = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? ferrite.send('INCR', counter) : ferrite.probe.get(reads)));
        const issuedAt = performance.now();
        const outcomes = watch(calls);
        await inject(proxy, server);
        await pause(Math.max(0, issuedAt + TIMEOUT_MS + SETTLE_MS - performance.now()));
        const unsettled = outcomes.filter((outcome) => outcome === undefined).length;
        expect(unsettled, 'calls still pending 250 ms after the deadline').toBe(0);

        const settled = outcomes as Outcome[];
        for (const outcome of settled) {
          if (outcome.ok) continue;
          expect(isTimeoutError(outcome.error) || isConnectionError(outcome.error), String(outcome.error)).toBe(true);
          expect(typeof maybeAppliedOf(outcome.error)).toBe('boolean');
        }
        // Let anything a driver still holds reach the server, then count what it applied.
        if (fault !== 'server killed') {
          proxy.passThrough();
          await pause(400);
        }
        const applied = await server.counter(counter);
        const incrs = settled.filter((_, i) => i % 2 === 0);
        const succeeded = incrs.filter((outcome) => outcome.ok);
        const mayHaveRun = incrs.filter((outcome) => !outcome.ok && maybeAppliedOf(outcome.error) === true).length;
        expect(applied).toBeGreaterThanOrEqual(succeeded.length);
        // A call that said "not applied" must not have been.
        expect(applied).toBeLessThanOrEqual(succeeded.length + mayHaveRun);
        // Every success got its own reply: distinct values, none beyond what the server counted.
        const values = succeeded.map((outcome) => Number(outcome.value));
        expect(new Set(values).size).toBe(values.length);
        for (const value of values) expect(value).toBeLessThanOrEqual(applied);
      });
    }

    it(`applies an INCR whose reply was lost exactly once, over ${options.trials ?? 100} trials, and never reports a wrong value`, async () => {
      const trials = options.trials ?? 100;
      const { server, proxy, ferrite } = await open(5000);
      const counter = key('lost-reply');
      for (let trial = 1; trial <= trials; trial++) {
        await whenConnected(ferrite);
        proxy.dropNextReply();
        const call = ferrite.send('INCR', counter).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        await until(`trial ${trial} to reach the server`, async () => (await server.counter(counter)) >= trial);
        await proxy.cut({ mode: trial % 2 === 0 ? 'rst' : 'fin' });
        const outcome = await call;
        if (outcome.ok) expect(outcome.value, `trial ${trial}`).toBe(trial);
        else {
          expect(isConnectionError(outcome.error) || isTimeoutError(outcome.error), String(outcome.error)).toBe(true);
          expect(maybeAppliedOf(outcome.error), `trial ${trial}`).toBe(true);
        }
        expect(await server.counter(counter), `trial ${trial}: applied twice`).toBe(trial);
      }
      // A resend would show up after the next reconnect.
      await whenConnected(ferrite);
      await pause(200);
      expect(await server.counter(counter)).toBe(trials);
    }, 120_000);

    it('settles a call made while the client reconnects, when the connection is cut again', async () => {
      const { server, proxy, ferrite } = await open(10_000);
      const counter = key('reconnecting');
      proxy.refuseNewConnections();
      await proxy.cut({ mode: 'rst' });
      // Once the client has seen the reset, the call waits in its queue while it reconnects.
      await pause(200);
      const call = ferrite.send('INCR', counter);
      const outcome = watch([call]);
      await pause(100);
      // Replies are held back, so the second cut catches the command written after the reconnect.
      proxy.delay(400);
      proxy.refuseNewConnections(false);
      await until('the queued command to reach the server', async () => (await server.counter(counter)) === 1, 8000);
      await proxy.cut({ mode: 'rst' });
      const cutAt = performance.now();
      await until('the call to settle', () => outcome[0] !== undefined, 3000);
      expect((outcome[0] as Outcome).settledAt - cutAt).toBeLessThan(2000);
      const settled = outcome[0] as Outcome;
      if (settled.ok) expect(settled.value).toBe(1);
      else expect(maybeAppliedOf(settled.error)).toBe(true);
      proxy.passThrough();
      await whenConnected(ferrite);
      expect(await server.counter(counter)).toBe(1);
    }, 30_000);

    it('closes within 1 s under a blackhole, settles pending calls and leaves no socket open', async () => {
      const server = await setup.startServer();
      cleanups.push(() => server.kill());
      const proxy = await setup.startProxy({ port: server.port });
      cleanups.push(() => proxy.close());
      const baseline = socketsOpen();
      const target = await setup.connect({ host: proxy.host, port: proxy.port });
      const ferrite: Client = createFerrite({ transport: target.transport, plugins: [probe], timeout: Infinity });
      await whenConnected(ferrite);
      const dedicated = await ferrite.probe.dedicated();
      expect(await dedicated.send('PING')).toBe('PONG');
      proxy.blackhole();
      const pending = watch([ferrite.send('INCR', key('close')), ferrite.probe.get(key('close-read')), dedicated.send('PING')]);
      const started = performance.now();
      await ferrite.close();
      expect(performance.now() - started).toBeLessThan(1000);
      await pause(20);
      for (const outcome of pending) {
        expect(outcome, 'a call still pending after close').toBeDefined();
        expect(isConnectionError((outcome as Outcome).error), String((outcome as Outcome).error)).toBe(true);
      }
      await target.teardown();
      await until('the sockets to close', () => socketsOpen() <= baseline, 2000);
    });

    it('rejects with FerriteAbortError before and after the command was sent', async () => {
      const { server, proxy, ferrite } = await open(10_000);
      const counter = key('abort');
      const before = new AbortController();
      before.abort();
      const early = await ferrite.withOptions({ signal: before.signal }).send('INCR', counter).catch((e: unknown) => e);
      expect(isAbortError(early)).toBe(true);
      expect(maybeAppliedOf(early)).toBe(false);

      proxy.delay(2000); // the reply is held back
      const after = new AbortController();
      const call = ferrite.withOptions({ signal: after.signal }).send('INCR', counter);
      const outcome = watch([call]);
      await until('the command to reach the server', async () => (await server.counter(counter)) === 1, 8000);
      after.abort();
      const abortedAt = performance.now();
      await until('the call to settle', () => outcome[0] !== undefined, 1000);
      expect((outcome[0] as Outcome).settledAt - abortedAt).toBeLessThan(200);
      expect(isAbortError((outcome[0] as Outcome).error)).toBe(true);
      expect(maybeAppliedOf((outcome[0] as Outcome).error)).toBe(true);
    });

    it('aborts a CDC.POLL BLOCK 0 on a dedicated connection, which outlives the deadline until then', async () => {
      const { ferrite } = await open(TIMEOUT_MS);
      await using dedicated = await ferrite.probe.dedicated();
      const subscription = readInteger(await dedicated.send('CDC.SUBSCRIBE', key('cdc-nothing-matches')));
      const controller = new AbortController();
      const poll = dedicated.withOptions({ signal: controller.signal }).send('CDC.POLL', subscription, 'BLOCK', 0);
      const outcome = watch([poll]);
      await pause(TIMEOUT_MS + SETTLE_MS);
      expect(outcome[0], 'BLOCK 0 has no deadline').toBeUndefined();
      controller.abort();
      await until('the poll to settle', () => outcome[0] !== undefined, 500);
      expect(isAbortError((outcome[0] as Outcome).error)).toBe(true);
      // The main connection was never held up.
      expect(await ferrite.send('PING')).toBe('PONG');
    });

    it('rejects a blackholed call after the default deadline of 10 s', async () => {
      const { proxy, ferrite } = await open();
      proxy.blackhole();
      const started = performance.now();
      const error = await ferrite.send('GET', key('default-deadline')).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(isTimeoutError(error)).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(9900);
      expect(elapsed).toBeLessThan(10_000 + SETTLE_MS);
    }, 20_000);
  });
}
