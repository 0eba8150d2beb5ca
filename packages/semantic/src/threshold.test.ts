import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meetsThreshold, wireThreshold } from './threshold.js';

describe('threshold', () => {
  it('asks the server for every similarity that reports at or above the threshold', () => {
    fc.assert(
      // Similarities within a few reporting units of the threshold, where rounding decides.
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -2e-6, max: 2e-6, noNaN: true }), (threshold, offset) => {
        const similarity = Math.min(1, Math.max(0, threshold + offset));
        const reported = Number(similarity.toFixed(6));
        // Whenever the client would accept the reported similarity, the server must have offered it.
        if (meetsThreshold(reported, threshold)) expect(similarity).toBeGreaterThanOrEqual(Number(wireThreshold(threshold)));
      }),
    );
  });

  it('never asks below 0, and stays below the threshold', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (threshold) => {
        const wire = Number(wireThreshold(threshold));
        expect(wire).toBeGreaterThanOrEqual(0);
        expect(wire).toBeLessThanOrEqual(threshold);
      }),
    );
  });
});
