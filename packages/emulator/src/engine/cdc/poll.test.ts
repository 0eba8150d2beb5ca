import { describe, expect, it } from 'vitest';
import { ChangeLog } from './change-log.js';
import { positionExpired, takeEvents, waitForEvents } from './poll.js';
import { SubscriptionRegistry } from './subscriptions.js';

function logWith(capacity: number): { log: ChangeLog; clock: { now: number } } {
  const clock = { now: 1000 };
  return { log: new ChangeLog({ capacity, now: () => clock.now }), clock };
}

function appendKeys(log: ChangeLog, keys: string[]): void {
  for (const key of keys) log.append({ db: 0, op: 'SET', key, value: Buffer.from(`v:${key}`) });
}

describe('takeEvents', () => {
  it('moves past matching and non-matching events, up to COUNT matches', () => {
    const { log } = logWith(100);
    appendKeys(log, ['a1', 'b1', 'a2', 'b2', 'a3']);
    const subscription = new SubscriptionRegistry().create(1, 'a*', undefined, 1);
    const isA = (event: { key: string }) => event.key.startsWith('a');
    expect(takeEvents(log, subscription, 2, isA).map((e) => e.key)).toEqual(['a1', 'a2']);
    expect(subscription.position).toBe(4);
    expect(takeEvents(log, subscription, 2, isA).map((e) => e.key)).toEqual(['a3']);
    expect(subscription.position).toBe(6);
    expect(takeEvents(log, subscription, 2, isA)).toEqual([]);
  });

  it('delivers every match of a pattern matching 1 in 10000 events', () => {
    const { log } = logWith(100000);
    const keys = Array.from({ length: 30000 }, (_, i) => (i % 10000 === 9999 ? `rare:${i}` : `common:${i}`));
    appendKeys(log, keys);
    const subscription = new SubscriptionRegistry().create(1, 'rare:*', undefined, 1);
    const delivered: string[] = [];
    for (let polls = 0; polls < 5; polls++) {
      delivered.push(...takeEvents(log, subscription, 1, (event) => event.key.startsWith('rare:')).map((e) => e.key));
    }
    expect(delivered).toEqual(['rare:9999', 'rare:19999', 'rare:29999']);
  });

  it('reports an expired position when unseen events were discarded', () => {
    const { log } = logWith(3);
    const subscription = new SubscriptionRegistry().create(1, '*', undefined, 1);
    appendKeys(log, ['a', 'b', 'c', 'd']);
    expect(() => takeEvents(log, subscription, 10, () => true)).toThrow('ERR CDC position expired: oldest retained event is 2');
    expect(positionExpired(7).message).toBe('ERR CDC position expired: oldest retained event is 7');
  });
});

describe('waitForEvents', () => {
  it('replies at once when events wait', async () => {
    const { log } = logWith(10);
    appendKeys(log, ['a']);
    const subscription = new SubscriptionRegistry().create(1, '*', undefined, 1);
    const events = await waitForEvents(log, subscription, () => true, { count: 10, timeoutMs: 0, signal: new AbortController().signal });
    expect(events.map((e) => e.key)).toEqual(['a']);
  });

  it('wakes on the first matching append, skipping non-matching ones, and delivers one command’s events together', async () => {
    const { log } = logWith(10);
    const subscription = new SubscriptionRegistry().create(1, '*', undefined, 1);
    const waiting = waitForEvents(log, subscription, (event) => event.key !== 'skip', {
      count: 10,
      timeoutMs: 0,
      signal: new AbortController().signal,
    });
    appendKeys(log, ['skip']);
    await Promise.resolve();
    appendKeys(log, ['x', 'y']); // one synchronous burst, like a RENAME
    const events = await waiting;
    expect(events.map((e) => e.key)).toEqual(['x', 'y']);
    expect(subscription.position).toBe(4);
  });

  it('resolves empty on timeout and on abort, and then stops consuming events', async () => {
    const { log } = logWith(10);
    const subscription = new SubscriptionRegistry().create(1, '*', undefined, 1);
    expect(await waitForEvents(log, subscription, () => true, { count: 1, timeoutMs: 5, signal: new AbortController().signal })).toEqual([]);
    const controller = new AbortController();
    const waiting = waitForEvents(log, subscription, () => true, { count: 1, timeoutMs: 0, signal: controller.signal });
    controller.abort();
    expect(await waiting).toEqual([]);
    appendKeys(log, ['late']);
    await Promise.resolve();
    expect(subscription.position).toBe(1);
  });

  it('leaves an event that arrives in the same tick as the abort for the next poll', async () => {
    const { log } = logWith(10);
    const subscription = new SubscriptionRegistry().create(1, '*', undefined, 1);
    const controller = new AbortController();
    const waiting = waitForEvents(log, subscription, () => true, { count: 1, timeoutMs: 0, signal: controller.signal });
    appendKeys(log, ['racing']); // schedules the scan
    controller.abort(); // settles first
    expect(await waiting).toEqual([]);
    expect(takeEvents(log, subscription, 1, () => true).map((e) => e.key)).toEqual(['racing']);
  });
});
