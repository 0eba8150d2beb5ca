/**
 * The goals, in one place. Throughput and latency goals were set a little below what a run on the
 * project's 2-core CI-sized machine measured (see README.md), so they catch regressions rather than
 * describe a fast laptop. Memory goals derive from the data size, not from a measurement.
 */
import type { VectorLoadGoals } from './cases/vector-load.js';

const MB = 1024 * 1024;

export const GOALS = {
  vectorLoad: {
    memory: { minVectorsPerSecond: 5_000, maxPeakGrowthBytes: undefined, maxSearchP99Ms: 100 } satisfies VectorLoadGoals,
    tcp: { minVectorsPerSecond: 5_000, maxPeakGrowthBytes: 10 * MB, maxSearchP99Ms: 100 } satisfies VectorLoadGoals,
  },
  semanticHitP99Ms: 5,
} as const;
