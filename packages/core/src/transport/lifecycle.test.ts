import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.js';
import { FerriteTimeoutError } from '../errors.js';
import { TransportLifecycle } from './lifecycle.js';

describe('withDeadline', () => {
  it('passes the outcome through when it settles in time', async () => {
    await expect(withDeadline(Promise.resolve('PONG'), 'PING', 1000)).resolves.toBe('PONG');
    await expect(withDeadline(Promise.reject(new Error('boom')), 'PING', 1000)).rejects.toThrow('boom');
  });

  it('rejects with a FerriteTimeoutError when nothing settles', async () => {
    const never = new Promise<never>(() => {});
    const error = await withDeadline(never, 'get', 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect((error as FerriteTimeoutError).command).toBe('GET');
    expect((error as FerriteTimeoutError).timeoutMs).toBe(10);
  });

  it('sets no deadline without a positive timeout', () => {
    const work = Promise.resolve(1);
    expect(withDeadline(work, 'GET', undefined)).toBe(work);
    expect(withDeadline(work, 'GET', 0)).toBe(work);
  });
});

describe('TransportLifecycle', () => {
  it('closes dependents first, then releases, once', async () => {
    const events: string[] = [];
    const lifecycle = new TransportLifecycle('test');
    lifecycle.adopt({ close: async () => void events.push('a') });
    lifecycle.adopt({ close: async () => Promise.reject(new Error('already gone')) });
    const forgotten = { close: async () => void events.push('forgotten') };
    lifecycle.adopt(forgotten);
    lifecycle.forget(forgotten);
    expect(lifecycle.closed).toBe(false);
    const first = lifecycle.close(async () => void events.push('release'));
    expect(lifecycle.close(async () => void events.push('again'))).toBe(first);
    await first;
    expect(lifecycle.closed).toBe(true);
    expect(events).toEqual(['a', 'release']);
    expect(() => lifecycle.assertOpen()).toThrow('the test transport is closed');
    // adopt hands back what it was given, so a transport can adopt and return in one expression.
    const later = { close: async () => undefined };
    expect(new TransportLifecycle('other').adopt(later)).toBe(later);
  });
});

describe('TransportLifecycle.track', () => {
  it('settles every tracked call on close: withdrawn ones unsent, the rest maybe applied', async () => {
    const lifecycle = new TransportLifecycle('test');
    const queued = lifecycle.track(new Promise(() => {}), () => true);
    const written = lifecycle.track(new Promise(() => {}));
    const answered = lifecycle.track(Promise.resolve('OK'));
    await expect(answered).resolves.toBe('OK');
    await lifecycle.close(async () => {});
    await expect(queued).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: false });
    await expect(written).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: true });
    await expect(lifecycle.track(Promise.resolve(1))).rejects.toMatchObject({ maybeApplied: false });
  });

  it('settles within a second when the release hangs', async () => {
    const lifecycle = new TransportLifecycle('test');
    const written = lifecycle.track(new Promise(() => {}));
    const started = performance.now();
    await lifecycle.close(() => new Promise(() => {}));
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(written).rejects.toBeInstanceOf(Error);
  });
});

describe('TransportLifecycle.watch', () => {
  it('rejects watched calls on close, withdrawn ones first and unsent, and forgets unwatched ones', async () => {
    const lifecycle = new TransportLifecycle('test');
    const outcomes: Array<[string, unknown]> = [];
    lifecycle.watch((error) => outcomes.push(['written', error]));
    lifecycle.watch((error) => outcomes.push(['queued', error]), () => true);
    const settled = lifecycle.watch((error) => outcomes.push(['settled', error]));
    lifecycle.unwatch(settled);
    lifecycle.unwatch(settled);
    await lifecycle.close(async () => {});
    expect(outcomes.map(([name]) => name)).toEqual(['queued', 'written']);
    expect(outcomes[0]?.[1]).toMatchObject({ name: 'FerriteConnectionError', maybeApplied: false });
    expect(outcomes[1]?.[1]).toMatchObject({ name: 'FerriteConnectionError', maybeApplied: true });
    expect(() => lifecycle.watch(() => {})).toThrow('the test transport is closed');
  });
});
