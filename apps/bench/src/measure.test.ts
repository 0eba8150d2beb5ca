import { describe, expect, it } from 'vitest';
import { measureLatency, PeakMemorySampler, quantile } from './measure.js';

describe('quantile', () => {
  it('takes the nearest rank of sorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(samples, 0.5)).toBe(50);
    expect(quantile(samples, 0.99)).toBe(99);
    expect(quantile(samples, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('measureLatency', () => {
  it('runs the warm-up untimed, then times each of the iterations', async () => {
    let calls = 0;
    const summary = await measureLatency(40, 5, async () => {
      calls++;
    });
    expect(calls).toBe(45);
    expect(summary.ops).toBe(40);
    expect(summary.p50Ms).toBeLessThanOrEqual(summary.p99Ms);
    expect(summary.opsPerSecond).toBeGreaterThan(0);
  });
});

describe('PeakMemorySampler', () => {
  it('sees memory held in ArrayBuffers, where typed arrays keep their data', () => {
    const sampler = new PeakMemorySampler();
    const held = new Float32Array(16 * 1024 * 1024); // 64 MB, far above any garbage freed meanwhile
    sampler.sample();
    expect(held.length).toBe(16 * 1024 * 1024);
    expect(sampler.peakGrowthBytes).toBeGreaterThan(32 * 1024 * 1024);
  });
});
