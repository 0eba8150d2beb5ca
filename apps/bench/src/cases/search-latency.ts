/** Timing `vector.search` topK 10 on a loaded index, and its row: shared by cases 3 and 8. */
import type { VectorApi } from '@ferrite/vector';
import type { CaseResult, LatencySummary } from '../measure.js';
import { measureLatency } from '../measure.js';
import type { TransportName } from '../transports.js';
import { randomVector, seededRandom } from '../vectors.js';

/** `searches` searches (after 5 warm-ups) of 16 seeded queries in turn; each must return 10 hits. */
export async function searchLatency(vectors: VectorApi, index: string, dim: number, transport: TransportName, searches: number, seed: number): Promise<LatencySummary> {
  const random = seededRandom(seed);
  const queries = Array.from({ length: 16 }, () => randomVector(dim, random));
  let next = 0;
  return measureLatency(searches, 5, async () => {
    const hits = await vectors.search(index, queries[next++ % queries.length] as Float32Array, { topK: 10 });
    if (hits.length !== 10) throw new Error(`search over ${transport} returned ${hits.length} hits, expected 10`);
  });
}

export function searchRow(name: string, search: LatencySummary, maxP99Ms: number): CaseResult {
  return {
    name,
    ops: search.ops,
    opsPerSecond: search.opsPerSecond,
    p50Ms: search.p50Ms,
    p99Ms: search.p99Ms,
    goal: `p99 ≤ ${maxP99Ms} ms`,
    pass: search.p99Ms <= maxP99Ms,
    timed: true,
  };
}
