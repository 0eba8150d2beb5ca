import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createFerrite, FerriteConnectionError, FerriteReplyError, FerriteUnsupportedError } from '@ferrite/core';
import { startEmulator, type RunningEmulator } from '@ferrite/emulator';
import { describeEachTransport, transportTargets } from '@ferrite/test-transports';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { borrowed, failingPolls, serverSubscriptions, take, unique, type CdcClient } from './__tests__/helpers.js';
import { cdc } from './plugin.js';
import type { ChangeFeed, ChangeFeedReconnect } from './types.js';

/** `'pending'` if `promise` has not settled within `ms`. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describeEachTransport('cdc lifecycle', (harness) => {
  let ferrite: CdcClient;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
  });

  // Every transport runs the race; the full thousand on RESP3, a hundred on RESP2 (the same code path).
  const rounds = harness.target.protocol === 3 ? 1000 : 100;

  it(`subscribe() then close() without awaiting, ${rounds} times: the feed never outlives the client, no next() stays pending`, async () => {
    const pattern = `${unique('race')}:*`;
    const outcomes = { rejected: 0, ended: 0 };
    for (let i = 0; i < rounds; i++) {
      const client = createFerrite({ transport: borrowed(harness.transport), plugins: [cdc()] });
      const subscribing = client.cdc.subscribe(pattern, { blockMs: 30_000 });
      // Close at once, after a microtask, or after a turn of the event loop: wherever the opening is.
      if (i % 3 === 1) await Promise.resolve();
      if (i % 3 === 2) await new Promise((resolve) => setImmediate(resolve));
      await client.close();
      const outcome = await settledWithin(
        subscribing.then(
          (feed) => feed,
          (error: unknown) => error,
        ),
        5000,
      );
      expect(outcome).not.toBe('pending');
      if (outcome instanceof Error) {
        // Refused as the client closed: nothing was left to run.
        expect(outcome).toBeInstanceOf(FerriteConnectionError);
        expect((outcome as FerriteConnectionError).maybeApplied).toBe(false);
        outcomes.rejected++;
      } else {
        // Resolved just before the close: the close ended it.
        const feed = outcome as ChangeFeed;
        expect(await settledWithin(feed.next(), 1000)).toEqual({ done: true, value: undefined });
        outcomes.ended++;
      }
    }
    expect(outcomes.rejected + outcomes.ended).toBe(rounds);
    await vi.waitFor(async () => expect(await serverSubscriptions(ferrite)).toBe(0), { timeout: 10_000, interval: 50 });
  }, 300_000);

  it('ends the iterator with a permanent failure instead of retrying it: authentication refused on reconnect, a server without CDC', async () => {
    const prefix = unique('permanent');
    const shared = harness.transport;
    let refuse: Error | undefined;
    // Faults that cannot be caused for real here: the connection drops, then reconnecting is refused.
    const transport = borrowed(shared, {
      async dedicated(options) {
        if (refuse !== undefined) throw refuse;
        return failingPolls(await shared.dedicated(options), () => (refuse === undefined ? undefined : new FerriteConnectionError('connection reset', { maybeApplied: true })));
      },
    });
    const client = createFerrite({ transport, plugins: [cdc()] });
    const reconnects: ChangeFeedReconnect[] = [];
    for (const refusal of [
      new FerriteConnectionError('could not connect', { cause: new FerriteReplyError('AUTH', 'WRONGPASS invalid username-password pair or user is disabled.') }),
      new FerriteReplyError('HELLO', 'NOAUTH Authentication required.'),
      new FerriteUnsupportedError('CDC.SUBSCRIBE'),
    ]) {
      refuse = undefined;
      const feed = await client.cdc.subscribe(`${prefix}:*`, { blockMs: 50, onReconnect: (reconnect) => reconnects.push(reconnect) });
      await ferrite.send('SET', `${prefix}:a`, '1');
      expect((await take(feed, 1))[0]?.value).toBe('1');
      refuse = refusal;
      const error = await settledWithin(feed.next().catch((e: unknown) => e), 10_000);
      // As raised, or as core reports a failed connect (the refusal its cause).
      expect(error === refusal || (error as Error).cause === refusal).toBe(true);
      expect(await feed.next()).toEqual({ done: true, value: undefined });
    }
    // Each time, the dropped connection was reported once as transient before the refusal ended the feed.
    expect(reconnects.length).toBeGreaterThanOrEqual(3);
    for (const reconnect of reconnects) expect(reconnect.error).toBeInstanceOf(FerriteConnectionError);
    await client.close();
  }, 60_000);

  it('reports each transient failure to onReconnect, with backoff, and resumes exactly', async () => {
    // One hash tag: one node on a cluster, so the writes have one order.
    const prefix = `{${unique('transient')}}`;
    const shared = harness.transport;
    let cuts = 3;
    const transport = borrowed(shared, {
      async dedicated(options) {
        return failingPolls(await shared.dedicated(options), () => (cuts > 0 && cuts-- > 0 ? new FerriteConnectionError('connection reset', { maybeApplied: true }) : undefined));
      },
    });
    const client = createFerrite({ transport, plugins: [cdc()] });
    const reconnects: ChangeFeedReconnect[] = [];
    await ferrite.send('SET', `${prefix}:0`, 'before');
    await using feed = await client.cdc.subscribe(`${prefix}:*`, { from: 'earliest', onReconnect: (reconnect) => reconnects.push(reconnect) });
    await ferrite.send('SET', `${prefix}:1`, 'after');
    expect((await take(feed, 2)).map((event) => event.value)).toEqual(['before', 'after']);
    // On a cluster every primary's connection polls, and the cuts are shared: the last may fall on
    // a node whose poll comes round after the events were taken. Each cut is reported once.
    await vi.waitFor(() => expect(reconnects).toHaveLength(3), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reconnects).toHaveLength(3);
    // Counted per connection (on a cluster one per primary, named), backing off as failures repeat.
    const byNode = new Map<string, ChangeFeedReconnect[]>();
    for (const reconnect of reconnects) byNode.set(reconnect.node ?? '', [...(byNode.get(reconnect.node ?? '') ?? []), reconnect]);
    for (const [node, attempts] of byNode) {
      if (harness.target.cluster) expect(node).toMatch(/^[0-9a-f]{40}$/);
      expect(attempts.map((reconnect) => reconnect.attempt)).toEqual(attempts.map((_, index) => index + 1));
      for (let i = 1; i < attempts.length; i++) expect((attempts[i] as ChangeFeedReconnect).delayMs).toBeGreaterThan((attempts[i - 1] as ChangeFeedReconnect).delayMs * 0.9);
    }
    for (const reconnect of reconnects) expect(reconnect.error).toBeInstanceOf(FerriteConnectionError);
    await client.close();
  });
}, { cluster: true });

/** The built entry the child imports (what users get); `pnpm test` builds first. */
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const isBuilt = existsSync(built);
if (!isBuilt && process.env['CI'] === 'true') throw new Error(`${built} is missing; CI=true requires the package to be built first`);

describe.skipIf(!isBuilt)(`a process whose client closed exits by itself${isBuilt ? '' : ' (skipped: build the package first)'}`, () => {
  let server: RunningEmulator;
  beforeAll(async () => {
    server = await startEmulator();
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const driver of new Set(transportTargets.map((target) => target.driver))) {
    it(`${driver}: within 1 s of close(), with a feed open and one still subscribing`, async () => {
      const script = fileURLToPath(new URL('./__tests__/exit-after-close.mjs', import.meta.url));
      const child = spawn(process.execPath, [script, driver, String(server.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let errors = '';
      let closedAt: number | undefined;
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (closedAt === undefined && output.includes('closed')) closedAt = performance.now();
      });
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const exitedAt = performance.now();
      expect(errors).toBe('');
      expect(code).toBe(0);
      expect(output).toMatch(/closed \{"ended":true,"raced":"(FerriteConnectionError|feed)"\}/);
      expect(exitedAt - (closedAt as number)).toBeLessThan(1000);
    }, 30_000);
  }
});
