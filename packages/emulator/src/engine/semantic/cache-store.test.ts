import { describe, expect, it } from 'vitest';
import { SemanticCacheStore } from './cache-store.js';

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return new Float32Array(values.map((v) => v / norm));
};
const value = (text: string) => Buffer.from(text);

describe('SemanticCacheStore', () => {
  it('hits the most similar entry at or above the threshold, inclusive', () => {
    const store = new SemanticCacheStore();
    store.set('ns', 'x', value('X'), unit(1, 0), undefined);
    store.set('ns', 'y', value('Y'), unit(0.6, 0.8), undefined);
    const exact = store.lookup('ns', unit(1, 0), 1, 0);
    expect(exact?.entry.value.toString()).toBe('X');
    expect(exact?.similarity).toBe(1);
    const nearY = store.lookup('ns', unit(0.6, 0.8), 0.9, 0);
    expect(nearY?.entry.value.toString()).toBe('Y');
    // cos((1,0),(0.6,0.8)) = 0.6 in float32 terms: just above and just below it.
    const cos = store.lookup('ns', unit(0, 1), 0, 0);
    expect(cos?.entry.value.toString()).toBe('Y');
    const boundary = cos?.similarity as number;
    expect(store.lookup('ns', unit(0, 1), boundary, 0)?.entry.value.toString()).toBe('Y');
    expect(store.lookup('ns', unit(0, 1), boundary + 1e-9, 0)).toBeUndefined();
  });

  it('breaks ties in favour of the most recently set entry', () => {
    const store = new SemanticCacheStore();
    store.set('ns', 'first', value('1'), unit(1, 1), undefined);
    store.set('ns', 'second', value('2'), unit(1, 1), undefined);
    expect(store.lookup('ns', unit(1, 1), 0.5, 0)?.entry.value.toString()).toBe('2');
    store.set('ns', 'first', value('1b'), unit(1, 1), undefined);
    expect(store.lookup('ns', unit(1, 1), 0.5, 0)?.entry.value.toString()).toBe('1b');
  });

  it('ignores and purges expired entries; replacing an entry replaces its expiry', () => {
    const store = new SemanticCacheStore();
    store.set('ns', 't', value('v'), unit(1), 1000);
    expect(store.lookup('ns', unit(1), 0, 999)?.entry.value.toString()).toBe('v');
    expect(store.lookup('ns', unit(1), 0, 1000)).toBeUndefined();
    expect(store.stats('ns', 1000)).toEqual({ entries: 0, hits: 1, misses: 1 });
    store.set('ns', 't', value('v'), unit(1), 1000);
    store.set('ns', 't', value('w'), unit(1), undefined);
    expect(store.lookup('ns', unit(1), 0, 5000)?.entry.value.toString()).toBe('w');
  });

  it('keeps namespaces apart, deletes single texts and whole namespaces, and resets stats with the namespace', () => {
    const store = new SemanticCacheStore();
    store.set('a', 't1', value('1'), unit(1), undefined);
    store.set('a', 't2', value('2'), unit(1), 10);
    store.set('b', 't1', value('3'), unit(1), undefined);
    expect(store.lookup('c', unit(1), 0, 0)).toBeUndefined();
    store.lookup('a', unit(1), 0, 0);
    expect(store.delete('a', 't1', 0)).toBe(true);
    expect(store.delete('a', 't1', 0)).toBe(false);
    expect(store.delete('a', 't2', 10)).toBe(false); // expired
    expect(store.stats('a', 0)).toEqual({ entries: 0, hits: 1, misses: 0 });
    expect(store.drop('b', 0)).toBe(1);
    expect(store.drop('b', 0)).toBe(0);
    expect(store.stats('b', 0)).toEqual({ entries: 0, hits: 0, misses: 0 });
    expect(store.stats('c', 0)).toEqual({ entries: 0, hits: 0, misses: 1 });
  });
});
