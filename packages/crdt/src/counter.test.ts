import {
  createFerrite,
  FerriteAbortError,
  FerriteConnectionError,
  FerriteError,
  FerriteTimeoutError,
  FerriteValidationError,
  type Transport,
  type WireCommand,
} from '@ferrite/core';
import { Emulator, memoryTransport } from '@ferrite/emulator';
import { describe, expect, it } from 'vitest';
import { CrdtIndeterminateError, CrdtOverflowError, CrdtTypeError, CrdtUnsafeIntegerError } from './errors.js';
import { crdt } from './plugin.js';

/** The memory transport, recording what is sent and failing the sends `fail` picks, after the server applied them or before. */
function recording(
  fail?: (command: WireCommand) => { error: FerriteError; applied: boolean } | 'hang' | undefined,
  options: { maxAttempts?: number; timeout?: number } = {},
) {
  const inner = memoryTransport({ emulator: new Emulator() });
  const sent: WireCommand[] = [];
  const transport: Transport = {
    name: 'recording',
    protocol: inner.protocol,
    async send(command, sendOptions) {
      sent.push(command);
      const failure = fail?.(command);
      if (failure === 'hang') {
        await inner.send(command, sendOptions);
        return new Promise<never>(() => {});
      }
      if (failure && !failure.applied) throw failure.error;
      const reply = await inner.send(command, sendOptions);
      if (failure) throw failure.error;
      return reply;
    },
    batch: (commands, sendOptions) => inner.batch(commands, sendOptions),
    dedicated: (options) => inner.dedicated(options),
    close: () => inner.close(),
  };
  return { transport, sent, ferrite: createFerrite({ transport, plugins: [crdt()], ...options }) };
}

const incrs = (sent: readonly WireCommand[]) => sent.filter((c) => c.name === 'CRDT.COUNTER.INCR');

describe('op-ids', () => {
  it('sends a fresh 128-bit op-id with every increment', async () => {
    const { ferrite, sent } = recording();
    const views = ferrite.crdt.counter('views');
    for (let i = 0; i < 50; i++) await views.incr();
    await views.decr(2);
    const ids = incrs(sent).map((c) => {
      expect(c.args[2]).toBe('ID');
      return String(c.args[3]);
    });
    expect(ids).toHaveLength(51);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(51);
    expect(incrs(sent).at(-1)?.args.slice(0, 2)).toEqual(['views', '-2']);
  });

  it('sends the caller’s op-id as given', async () => {
    const { ferrite, sent } = recording();
    await ferrite.crdt.counter('c', { bigint: true }).incr(3n, { opId: 'queue:msg:17' });
    expect(incrs(sent)[0]?.args).toEqual(['c', '3', 'ID', 'queue:msg:17']);
  });

  it('sends nothing for bad input', async () => {
    const { ferrite, sent } = recording();
    await expect(ferrite.crdt.counter('c').incr(0.5)).rejects.toThrow(FerriteValidationError);
    expect(() => ferrite.crdt.counter('')).toThrow(FerriteValidationError);
    await expect(ferrite.crdt.set('s').add()).rejects.toThrow(FerriteValidationError);
    await expect(ferrite.crdt.set('s').has(3 as unknown as string)).rejects.toThrow(FerriteValidationError);
    await expect(ferrite.crdt.counter('c').incr(1, { opId: 'a\r' })).rejects.toThrow(FerriteValidationError);
    expect(sent).toEqual([]);
  });
});

describe('an increment whose outcome is unknown', () => {
  const timeout = () => new FerriteTimeoutError('CRDT.COUNTER.INCR', 50);
  const lost = () => new FerriteConnectionError('connection reset');

  it.each([
    ['a timeout', timeout, 'TIMEOUT'],
    ['a lost connection', lost, 'CONNECTION'],
  ] as const)('rejects with CrdtIndeterminateError after %s, never with a value', async (_name, make, code) => {
    const failure = make();
    const { ferrite, sent } = recording((c) => (c.name === 'CRDT.COUNTER.INCR' ? { error: failure, applied: true } : undefined));
    const error = await ferrite.crdt.counter('k').decr(4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrdtIndeterminateError);
    expect(error).toBeInstanceOf(FerriteError);
    const indeterminate = error as CrdtIndeterminateError;
    expect(indeterminate).toMatchObject({ maybeApplied: true, key: 'k', amount: -4, code });
    expect(indeterminate.opId).toBe(incrs(sent).at(-1)?.args[3]);
    expect(indeterminate.cause).toBe(failure);
  });

  it('is resent by core with the same op-id after a lost reply: counted once, resolving to the value', async () => {
    let failNext = true;
    const { ferrite, sent } = recording((c) => {
      if (c.name !== 'CRDT.COUNTER.INCR' || !failNext) return undefined;
      failNext = false;
      return { error: lost(), applied: true };
    });
    const counter = ferrite.crdt.counter('k', { bigint: true });
    expect(await counter.incr(5n)).toBe(5n);
    const [first, resend] = incrs(sent);
    expect(resend?.args).toEqual(first?.args);
    expect(incrs(sent)).toHaveLength(2);
    expect(await counter.get()).toBe(5n);
  });

  it('rejects after a deadline with no reply, within a generous margin', async () => {
    const { ferrite } = recording((c) => (c.name === 'CRDT.COUNTER.INCR' ? 'hang' : undefined), { timeout: 100 });
    const started = performance.now();
    const error = await ferrite.crdt.counter('k').incr(3).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(CrdtIndeterminateError);
    expect(error).toMatchObject({ code: 'TIMEOUT', maybeApplied: true, amount: 3 });
    expect((error as Error).cause).toBeInstanceOf(FerriteTimeoutError);
    expect(await ferrite.crdt.counter('k').get()).toBe(3);
  });

  it('keeps the deadline of the view a handle came from', async () => {
    const { ferrite } = recording((c) => (c.name === 'CRDT.COUNTER.INCR' ? 'hang' : undefined));
    const hits = ferrite.withOptions({ timeout: 100 }).crdt.counter('hits');
    const started = performance.now();
    const error = await hits.incr().catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'TIMEOUT', maybeApplied: true, key: 'hits' });
  });

  it('rejects with CrdtIndeterminateError when aborted after sending, and passes an abort before sending through', async () => {
    const { ferrite, sent } = recording((c) => (c.name === 'CRDT.COUNTER.INCR' ? 'hang' : undefined));
    const controller = new AbortController();
    const pending = ferrite.withOptions({ signal: controller.signal }).crdt.counter('k').incr(2).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED', maybeApplied: true, amount: 2 });
    expect(await pending).toBeInstanceOf(CrdtIndeterminateError);

    const before = sent.length;
    const unsent = await ferrite.withOptions({ signal: AbortSignal.abort() }).crdt.counter('k').incr(2).catch((e: unknown) => e);
    expect(unsent).toBeInstanceOf(FerriteAbortError);
    expect(unsent).not.toBeInstanceOf(CrdtIndeterminateError);
    expect(sent.length).toBe(before);
  });

  it('is settled by resending with its op-id: the server counts it once', async () => {
    let failNext = true;
    const { ferrite } = recording(
      (c) => {
        if (c.name !== 'CRDT.COUNTER.INCR' || !failNext) return undefined;
        failNext = false;
        return { error: lost(), applied: true };
      },
      { maxAttempts: 1 },
    );
    const counter = ferrite.crdt.counter('k', { bigint: true });
    const error = (await counter.incr(5n).catch((e: unknown) => e)) as CrdtIndeterminateError;
    expect(error).toBeInstanceOf(CrdtIndeterminateError);
    expect(await counter.incr(error.amount as bigint, { opId: error.opId })).toBe(5n);
    expect(await counter.get()).toBe(5n);
  });

  it('passes through an error core proved was never sent (maybeApplied: false)', async () => {
    const unsent = new FerriteConnectionError('dropped from the queue', { maybeApplied: false });
    const { ferrite } = recording((c) => (c.name === 'CRDT.COUNTER.INCR' ? { error: unsent, applied: false } : undefined));
    const error = await ferrite.crdt.counter('k').incr().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteConnectionError);
    expect(error).toMatchObject({ maybeApplied: false });
    expect(error).not.toBeInstanceOf(CrdtIndeterminateError);
  });

  it('does not turn lost replies of reads into CrdtIndeterminateError', async () => {
    const failure = lost();
    const { ferrite } = recording(() => ({ error: failure, applied: true }));
    for (const read of [() => ferrite.crdt.counter('k').get(), () => ferrite.crdt.set('k').members()]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteConnectionError);
      expect(error).not.toBeInstanceOf(CrdtIndeterminateError);
    }
  });
});

describe('set calls after a lost reply', () => {
  it('are resent: the members are right, and the count is the last attempt’s', async () => {
    let failNext = true;
    const { ferrite, sent } = recording((c) => {
      if (c.name !== 'CRDT.SET.ADD' || !failNext) return undefined;
      failNext = false;
      return { error: new FerriteConnectionError('connection reset'), applied: true };
    });
    const tags = ferrite.crdt.set('tags');
    expect(await tags.add('a', 'b')).toBe(0);
    expect(sent.filter((c) => c.name === 'CRDT.SET.ADD')).toHaveLength(2);
    expect((await tags.members()).sort()).toEqual(['a', 'b']);
  });
});

describe('error classes', () => {
  it('each has its own brand and keeps the server text', async () => {
    const { ferrite } = recording();
    await ferrite.crdt.set('s').add('m');
    const wrong = await ferrite.crdt.counter('s').incr().catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(CrdtTypeError);
    expect(wrong).not.toBeInstanceOf(CrdtOverflowError);
    expect((wrong as CrdtTypeError).command).toBe('CRDT.COUNTER.INCR');
    const brands = [CrdtTypeError, CrdtOverflowError, CrdtIndeterminateError, CrdtUnsafeIntegerError].map((c) => c.brand);
    expect(new Set(brands).size).toBe(4);
  });
});
