import { FerriteAbortError } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('shares one run between concurrent callers of a key, and not across keys', async () => {
    const flights = new SingleFlight();
    const gate = deferred<string>();
    let runs = 0;
    const work = () => (runs++, gate.promise);
    const a = flights.run('k', work);
    const b = flights.run('k', work);
    const other = flights.run('other', async () => 'other');
    gate.resolve('v');
    expect(await a).toEqual({ value: 'v', shared: false });
    expect(await b).toEqual({ value: 'v', shared: true });
    expect(await other).toEqual({ value: 'other', shared: false });
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
  });

  it('forgets a failed run so the next call starts afresh', async () => {
    const flights = new SingleFlight();
    const failure = new Error('boom');
    await expect(flights.run('k', async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await flights.run('k', async () => 'ok')).toEqual({ value: 'ok', shared: false });
  });

  it('turns a synchronous throw into a rejection for every waiter', async () => {
    const flights = new SingleFlight();
    const failure = new Error('sync');
    const a = flights.run('k', () => {
      throw failure;
    });
    const b = flights.run('k', async () => 'never');
    await expect(a).rejects.toBe(failure);
    await expect(b).rejects.toBe(failure);
  });

  it('aborts the run only when every waiter has given up, and forgets it at once', async () => {
    const flights = new SingleFlight();
    let seen: AbortSignal | undefined;
    const gate = deferred<string>();
    const one = new AbortController();
    const two = new AbortController();
    const a = flights.run('k', (signal) => ((seen = signal), gate.promise), one.signal);
    const b = flights.run('k', async () => 'unused', two.signal);
    await Promise.resolve();
    await Promise.resolve();
    one.abort();
    await expect(a).rejects.toBeInstanceOf(FerriteAbortError);
    expect(seen?.aborted).toBe(false);
    two.abort();
    await expect(b).rejects.toBeInstanceOf(FerriteAbortError);
    expect(seen?.aborted).toBe(true);
    expect(flights.size).toBe(0);
    expect(await flights.run('k', async () => 'fresh')).toEqual({ value: 'fresh', shared: false });
    gate.resolve('late');
  });

  it('keeps running for a waiter without a signal', async () => {
    const flights = new SingleFlight();
    const gate = deferred<string>();
    let seen: AbortSignal | undefined;
    const controller = new AbortController();
    const a = flights.run('k', (signal) => ((seen = signal), gate.promise), controller.signal);
    const b = flights.run('k', async () => 'unused');
    controller.abort();
    await expect(a).rejects.toBeInstanceOf(FerriteAbortError);
    gate.resolve('v');
    expect(await b).toEqual({ value: 'v', shared: true });
    expect(seen?.aborted).toBe(false);
  });

  it('refuses a signal that is already aborted without running anything', async () => {
    const flights = new SingleFlight();
    let ran = false;
    await expect(flights.run('k', async () => ((ran = true), 'v'), AbortSignal.abort())).rejects.toBeInstanceOf(FerriteAbortError);
    expect(ran).toBe(false);
    expect(flights.size).toBe(0);
  });
});
