import { createFerrite, defineCommand, definePlugin, isAbortError, isConnectionError, isTimeoutError, readInteger, type PluginContext } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { Emulator } from './engine/emulator.js';
import { memoryTransport } from './memory-transport.js';

/**
 * The fault cases that apply without a network (the TCP ones run in the shared fault suite):
 * cancellation, deadlines of queued commands and close, on the in-process transport.
 */
/** A blocking poll whose wait comes from its definition (`BLOCK 0`: no deadline). */
const pollCommand = defineCommand({
  name: 'CDC.POLL',
  keyIndex: null,
  encode: (subscription: number, blockMs: number) => [subscription, 'BLOCK', blockMs],
  blockingMs: ([, blockMs]) => (blockMs === 0 ? Infinity : blockMs),
  decode: (reply) => reply,
});

const probe = definePlugin({ name: 'probe', setup: (ctx: PluginContext) => ({ dedicated: () => ctx.dedicated() }) });

function open(timeout: number) {
  const emulator = new Emulator();
  const ferrite = createFerrite({ transport: memoryTransport({ emulator }), plugins: [probe], timeout });
  const counter = async (key: string) => Number((await ferrite.send('GET', key)) ?? 0);
  return { ferrite, counter };
}

describe('memory transport under faults', () => {
  it('rejects an aborted call before it runs, and never runs it', async () => {
    const { ferrite, counter } = open(1000);
    const controller = new AbortController();
    controller.abort();
    const error = await ferrite.withOptions({ signal: controller.signal }).send('INCR', 'abort-before').catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(error).toMatchObject({ maybeApplied: false });
    expect(await counter('abort-before')).toBe(0);
    await ferrite.close();
  });

  it('takes back a command queued behind a blocking one when its deadline passes: never applied', async () => {
    const { ferrite, counter } = open(300);
    const dedicated = await ferrite.probe.dedicated();
    const sleeping = dedicated.send('DEBUG', 'SLEEP', '0.6').catch((e: unknown) => e);
    const queued = await dedicated.send('INCR', 'queued-behind').catch((e: unknown) => e);
    expect(isTimeoutError(queued)).toBe(true);
    expect(queued).toMatchObject({ maybeApplied: false });
    expect(await sleeping).toMatchObject({ name: 'FerriteTimeoutError', maybeApplied: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await counter('queued-behind')).toBe(0);
    await ferrite.close();
  });

  it('aborts a CDC.POLL BLOCK 0 on a dedicated connection, which outlives the deadline until then', async () => {
    const { ferrite } = open(200);
    const dedicated = await ferrite.probe.dedicated();
    const subscription = readInteger(await dedicated.send('CDC.SUBSCRIBE', 'memory-faults-nothing:*'));
    const controller = new AbortController();
    let settled = false;
    const poll = dedicated.withOptions({ signal: controller.signal }).call(pollCommand, subscription, 0);
    poll.catch(() => {}).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(settled).toBe(false);
    controller.abort();
    const error = await poll.catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    await ferrite.close();
  });

  it('close settles a blocked poll and the calls queued behind it within a second', async () => {
    const { ferrite } = open(Infinity);
    const dedicated = await ferrite.probe.dedicated();
    const subscription = readInteger(await dedicated.send('CDC.SUBSCRIBE', 'memory-faults-close:*'));
    const poll = dedicated.call(pollCommand, subscription, 0).catch((e: unknown) => e);
    const queued = dedicated.send('INCR', 'memory-faults-close').catch((e: unknown) => e);
    const started = performance.now();
    await ferrite.close();
    expect(performance.now() - started).toBeLessThan(1000);
    const [pollError, queuedError] = await Promise.all([poll, queued]);
    expect(isConnectionError(pollError)).toBe(true);
    expect(isConnectionError(queuedError)).toBe(true);
    expect(queuedError).toMatchObject({ maybeApplied: false });
  });
});
