import { describe, expect, it } from 'vitest';
import { CrdtStore } from './crdt-store.js';
import { ObservedRemoveSet } from './or-set.js';
import { CounterOverflowError, PnCounter, REMEMBERED_OP_IDS } from './pn-counter.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

describe('PnCounter', () => {
  it('adds positive, negative and zero amounts', () => {
    const counter = new PnCounter();
    expect(counter.increment(5n)).toBe(5n);
    expect(counter.increment(-8n)).toBe(-3n);
    expect(counter.increment(0n)).toBe(-3n);
    expect(counter.value).toBe(-3n);
  });

  it('applies a repeated op-id once', () => {
    const counter = new PnCounter();
    expect(counter.increment(10n, 'op-1')).toBe(10n);
    expect(counter.increment(10n, 'op-1')).toBe(10n);
    expect(counter.increment(1n, 'op-2')).toBe(11n);
    expect(counter.increment(99n, 'op-1')).toBe(11n);
  });

  it(`remembers the last ${REMEMBERED_OP_IDS} op-ids`, () => {
    const counter = new PnCounter();
    for (let i = 0; i <= REMEMBERED_OP_IDS; i++) counter.increment(1n, `op-${i}`);
    const total = BigInt(REMEMBERED_OP_IDS + 1);
    expect(counter.increment(1n, 'op-1')).toBe(total); // still remembered
    expect(counter.increment(1n, `op-${REMEMBERED_OP_IDS}`)).toBe(total);
    expect(counter.increment(1n, 'op-0')).toBe(total + 1n); // the oldest was forgotten
  });

  it('refuses to leave int64 and remembers nothing then', () => {
    const counter = new PnCounter();
    counter.increment(INT64_MAX);
    expect(() => counter.increment(1n, 'late')).toThrow(CounterOverflowError);
    expect(counter.value).toBe(INT64_MAX);
    counter.increment(-INT64_MAX);
    expect(counter.increment(1n, 'late')).toBe(1n);
    expect(counter.increment(INT64_MIN)).toBe(INT64_MIN + 1n);
    expect(() => counter.increment(-2n)).toThrow(CounterOverflowError);
  });
});

describe('ObservedRemoveSet', () => {
  it('adds, removes and lists members in insertion order', () => {
    const members = new ObservedRemoveSet();
    expect(members.add('b')).toBe(true);
    expect(members.add('a')).toBe(true);
    expect(members.add('b')).toBe(false);
    expect(members.members()).toEqual(['b', 'a']);
    expect(members.remove('b')).toBe(true);
    expect(members.remove('b')).toBe(false);
    members.add('b');
    expect(members.members()).toEqual(['a', 'b']);
  });
});

describe('CrdtStore', () => {
  it('keeps counters and sets apart with WRONGTYPE', () => {
    const store = new CrdtStore();
    store.counter('c', true).increment(1n);
    store.set('s', true).add('m');
    const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    expect(() => store.set('c', false)).toThrow(wrongType);
    expect(() => store.counter('s', true)).toThrow(wrongType);
    expect(store.counter('missing', false)).toBeUndefined();
  });

  it('frees the key of an emptied set', () => {
    const store = new CrdtStore();
    store.set('s', true).add('m');
    store.set('s', false)?.remove('m');
    store.releaseIfEmpty('s');
    expect(store.counter('s', true).increment(2n)).toBe(2n);
  });
});
