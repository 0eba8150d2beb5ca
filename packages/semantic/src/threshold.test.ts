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

  it('hits a similarity reported exactly at the threshold, whichever way it was rounded', () => {
    fc.assert(
      // Thresholds taken from reported similarities (6 decimals) and true similarities around them.
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: -100, max: 100 }), (micros, hundredMillionths) => {
        const threshold = micros / 1e6;
        const similarity = Math.min(1, Math.max(0, threshold + hundredMillionths / 1e8));
        const reported = Number(similarity.toFixed(6));
        if (reported === threshold) expect(similarity).toBeGreaterThanOrEqual(Number(wireThreshold(threshold)));
      }),
      { numRuns: 500 },
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
