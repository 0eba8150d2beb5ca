import { describe, expect, it } from 'vitest';
import { ChangeLog } from './change-log.js';
import type { ChangeEvent } from './change-log.js';

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

describe('ChangeLog identity and epochs (PROTOCOL.md §8.1)', () => {
  it('has a random 40-hex log id of its own, epoch 0 starting at id 1', () => {
    const { log } = logWith(10);
    const { log: other } = logWith(10);
    expect(log.logId).toMatch(/^[0-9a-f]{40}$/);
    expect(log.logId).not.toBe(other.logId);
    expect([log.epoch, log.epochStartId, log.epochStart(0), log.epochStart(1)]).toEqual([0, 1, 1, undefined]);
  });

  it('begins an epoch at the next id and remembers where every epoch started', () => {
    const { log } = logWith(10);
    appendKeys(log, ['a', 'b']);
    log.beginEpoch();
    appendKeys(log, ['c']);
    log.beginEpoch();
    expect([log.epoch, log.epochStartId, log.epochStart(0), log.epochStart(1), log.epochStart(2)]).toEqual([2, 4, 1, 3, 4]);
    expect(log.get(3)?.key).toBe('c');
  });

  it('copies events with their own ids and timestamps, in order only', () => {
    const { log: primary, clock } = logWith(10);
    const { log: replica } = logWith(10);
    appendKeys(primary, ['a']);
    clock.now = 5000;
    appendKeys(primary, ['b']);
    replica.copy(primary.get(1) as ChangeEvent);
    expect(() => replica.copy({ ...(primary.get(2) as ChangeEvent), id: 3 })).toThrow(/out of order/);
    replica.copy(primary.get(2) as ChangeEvent);
    expect(replica.get(2)).toEqual({ id: 2, timestamp: 5000, db: 0, op: 'SET', key: 'b', value: Buffer.from('v:b') });
    expect(replica.lastId).toBe(2);
  });

  it('takes another log over whole: identity, epochs, retained events; readers hear of it', () => {
    const { log: primary } = logWith(3);
    appendKeys(primary, ['a', 'b', 'c', 'd']);
    primary.beginEpoch();
    appendKeys(primary, ['e']);
    const { log: replica } = logWith(3);
    appendKeys(replica, ['x']);
    let replaced = 0;
    replica.onReplace(() => replaced++);
    replica.replaceWith(primary.snapshot());
    expect(replaced).toBe(1);
    expect([replica.logId, replica.epoch, replica.epochStartId, replica.epochStart(0)]).toEqual([primary.logId, 1, 5, 1]);
    expect([replica.firstId, replica.lastId, replica.hasDiscarded]).toEqual([3, 5, true]);
    expect([3, 4, 5].map((id) => replica.get(id)?.key)).toEqual(['c', 'd', 'e']);
    appendKeys(replica, ['f']);
    expect(replica.get(6)?.key).toBe('f');
  });
});
