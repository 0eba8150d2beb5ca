import { describe, expect, it } from 'vitest';
import { generateItems } from './vectors.js';

describe('generateItems', () => {
  it('yields the same items for the same seed, and others for another seed', () => {
    const first = [...generateItems(3, 8, 7)];
    const again = [...generateItems(3, 8, 7)];
    const other = [...generateItems(3, 8, 8)];
    expect(first.map((item) => item.id)).toEqual(['v:0', 'v:1', 'v:2']);
    expect(again).toEqual(first);
    expect(other[0]?.vector).not.toEqual(first[0]?.vector);
    for (const item of first) {
      expect(item.vector).toHaveLength(8);
      expect([...item.vector].every((value) => value >= -1 && value < 1)).toBe(true);
    }
  });

  it('makes each item only when it is pulled', () => {
    const made: number[] = [];
    const source = generateItems(1_000, 4, 1, (i) => made.push(i));
    source.next();
    source.next();
    expect(made).toEqual([0, 1]);
  });
});
