import { describe, expect, it } from 'vitest';
import { SlotSet } from './slot-set.js';

describe('SlotSet', () => {
  it('adds and removes in any order, keeping every other entry', () => {
    const set = new SlotSet<{ slot: number; id: number }>();
    const entries = Array.from({ length: 6 }, (_, id) => ({ slot: -1, id }));
    for (const entry of entries) set.add(entry);
    expect(set.delete(entries[1]!)).toBe(true);
    expect(set.delete(entries[5]!)).toBe(true);
    expect(set.delete(entries[1]!)).toBe(false);
    expect(entries[1]!.slot).toBe(-1);
    expect(set.size).toBe(4);
    expect(set.snapshot().map((e) => e.id).sort()).toEqual([0, 2, 3, 4]);
    for (const entry of set.snapshot()) expect(set.delete(entry)).toBe(true);
    expect(set.size).toBe(0);
    set.add(entries[1]!);
    expect(set.snapshot()).toEqual([entries[1]]);
  });

  it('does not remove an entry of another set that sits at the same slot', () => {
    const a = new SlotSet<{ slot: number }>();
    const b = new SlotSet<{ slot: number }>();
    const inA = { slot: -1 };
    const inB = { slot: -1 };
    a.add(inA);
    b.add(inB);
    expect(a.delete(inB)).toBe(false);
    expect(a.size).toBe(1);
  });
});
