import { describe, expect, it } from 'vitest';
import { newCrdtOpId } from './op-id.js';

describe('newCrdtOpId', () => {
  it('gives 32 hex digits, all distinct across pool refills', () => {
    const ids = Array.from({ length: 2000 }, newCrdtOpId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every bit: each of the 128 bits is both 0 and 1 across ids', () => {
    const ids = Array.from({ length: 600 }, () => BigInt(`0x${newCrdtOpId()}`));
    for (let bit = 0n; bit < 128n; bit++) {
      const ones = ids.filter((id) => (id >> bit) & 1n).length;
      expect(ones, `bit ${bit}`).toBeGreaterThan(0);
      expect(ones, `bit ${bit}`).toBeLessThan(ids.length);
    }
  });
});
