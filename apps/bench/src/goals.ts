/**
 * The goals, in one place. Throughput and latency goals are regression guards set below what two
 * full runs measured on the project's 2-core machine (figures in README.md), with room for the
 * machine being shared; memory goals derive from the data size, not from a measurement.
 */
import type { ChangeFeedGoals } from './cases/change-feed.js';
import type { EmulatorVectorSearchGoals } from './cases/emulator-vector-search.js';
import type { VectorLoadGoals } from './cases/vector-load.js';

const MB = 1024 * 1024;

export const GOALS = {
  vectorLoad: {
    // Measured 27 000–36 000 vectors/s; search p99 44–47 ms (the emulator scores all 20 000 vectors).
    memory: { minVectorsPerSecond: 20_000, maxPeakGrowthBytes: undefined, maxSearchP99Ms: 75 } satisfies VectorLoadGoals,
    // Measured 31 000–33 000 (ioredis) and 21 500–22 000 (node-redis) vectors/s; search p99 27–37 ms.
    // Memory: 3.5–4 MB retained at peak, against 35 MB for a loader holding every item.
    tcp: { minVectorsPerSecond: 15_000, maxPeakGrowthBytes: 10 * MB, maxSearchP99Ms: 75 } satisfies VectorLoadGoals,
  },
  emulatorVectorSearch: {
    // Issue 25's goals. Bytes: the 1 536 floats of a 384-dim vector plus at most 256 bytes of id,
    // metadata, norm and row bookkeeping (packages/emulator/README.md, "Vector search").
    small: { maxSearchP99Ms: 10, maxBytesPerVector: 384 * 4 + 256 } satisfies EmulatorVectorSearchGoals,
    large: { maxSearchP99Ms: 50, maxBytesPerVector: 384 * 4 + 256 } satisfies EmulatorVectorSearchGoals,
  },
  // Measured p99 0.9–1.1 ms with 200 entries.
  semanticHitP99Ms: 3,
  changeFeed: {
    // Measured 4 900–6 500 events/s; latency p50 0.04 ms, p99 21–22 ms (GC pauses: every call
    // through core allocates an AbortController).
    memory: { minEventsPerSecond: 3_000, maxLatencyP99Ms: 50 } satisfies ChangeFeedGoals,
    // Measured 3 700–4 700 (ioredis) and 3 300–4 400 (node-redis) events/s; p50 0.6–0.7 ms, p99 12–32 ms.
    tcp: { minEventsPerSecond: 2_000, maxLatencyP99Ms: 50 } satisfies ChangeFeedGoals,
  },
} as const;
