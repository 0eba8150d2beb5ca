import { describe, expect, it } from 'vitest';
import { ChangeLog } from './change-log.js';

function logWith(capacity: number): { log: ChangeLog; clock: { now: number } } {
  const clock = { now: 1000 };
  return { log: new ChangeLog({ capacity, now: () => clock.now }), clock };
}

function appendKeys(log: ChangeLog, keys: string[]): void {
  for (const key of keys) log.append({ db: 0, op: 'SET', key, value: Buffer.from(`v:${key}`) });
}

describe('ChangeLog', () => {
  it('reports 0 ids while empty', () => {
    const { log } = logWith(3);
    expect([log.firstId, log.lastId, log.retained, log.hasDiscarded]).toEqual([0, 0, 0, false]);
    expect(log.get(1)).toBeUndefined();
  });

  it('numbers events from 1, stamps them from the clock and copies the value', () => {
    const { log, clock } = logWith(10);
    const value = Buffer.from('abc');
    log.append({ db: 2, op: 'SET', key: 'k', value });
    value.write('xyz');
    clock.now = 2000;
    log.append({ db: 0, op: 'DEL', key: 'k', value: null });
    expect(log.get(1)).toEqual({ id: 1, timestamp: 1000, db: 2, op: 'SET', key: 'k', value: Buffer.from('abc') });
    expect(log.get(2)).toEqual({ id: 2, timestamp: 2000, db: 0, op: 'DEL', key: 'k', value: null });
    expect([log.firstId, log.lastId, log.retained]).toEqual([1, 2, 2]);
  });

  it('keeps only the newest `capacity` events', () => {
    const { log } = logWith(3);
    appendKeys(log, ['a', 'b', 'c', 'd', 'e']);
    expect([log.firstId, log.lastId, log.retained, log.hasDiscarded]).toEqual([3, 5, 3, true]);
    expect(log.get(2)).toBeUndefined();
    expect([3, 4, 5].map((id) => log.get(id)?.key)).toEqual(['c', 'd', 'e']);
    expect(log.get(6)).toBeUndefined();
  });

  it('notifies append listeners until they stop, and survives a throwing one', () => {
    const { log } = logWith(3);
    const seen: number[] = [];
    log.onAppend(() => {
      throw new Error('reader bug');
    });
    const stop = log.onAppend((event) => seen.push(event.id));
    appendKeys(log, ['a']);
    stop();
    appendKeys(log, ['b']);
    expect(seen).toEqual([1]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new ChangeLog({ capacity: 0, now: Date.now })).toThrow(RangeError);
  });
});
