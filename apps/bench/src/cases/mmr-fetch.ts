/**
 * Case 9: how a max-marginal-relevance search fetches its candidates' vectors (issue 24). The
 * search reply carries no vectors (PROTOCOL.md v1.2 has no WITHVECTORS), so `FerriteVectorStore`
 * reads the `fetchK` candidates after the search: now with one `vector.getMany` (one pipeline of
 * VECTOR.GET), before with one `vector.get` per candidate, all issued at once. Alternating rounds on
 * one connection, as in case 4; judged on the median of the rounds' p50s. Every fetch is checked
 * to return every candidate's vector.
 */
import { createFerrite } from '@ferrite/core';
import { vector } from '@ferrite/vector';
import type { CaseResult } from '../measure.js';
import { measureLatency } from '../measure.js';
import type { TransportName } from '../transports.js';
import { connect } from '../transports.js';

export const MMR_FETCH_K = 20;
export const MAX_MMR_FETCH_RATIO = 1.1;
const DIM = 384;
const ROUNDS = 5;
const WARMUP = 20;

export async function benchMmrFetch(name: Exclude<TransportName, 'memory'>, url: string, fetchesPerRound: number): Promise<CaseResult[]> {
  const connection = await connect(name, url);
  const ferrite = createFerrite({ transport: connection.transport, plugins: [vector()] });
  const index = `bench:mmr:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  try {
    await ferrite.vector.createIndex(index, { dim: DIM });
    const ids = Array.from({ length: MMR_FETCH_K }, (_, i) => `doc:${i}`);
    await ferrite.vector.addMany(
      index,
      ids.map((id, i) => ({ id, vector: Float32Array.from({ length: DIM }, (_, d) => Math.sin(i * DIM + d)), metadata: { n: String(i) } })),
    );
    const check = (records: readonly unknown[]) => {
      if (records.length !== MMR_FETCH_K || records.some((record) => record === null)) throw new Error(`a fetch over ${name} lost a candidate`);
    };
    const pipelined = { p50s: [] as number[], p99s: [] as number[], ops: 0, totalMs: 0 };
    const perCandidate = { p50s: [] as number[], p99s: [] as number[], ops: 0, totalMs: 0 };
    const record = async (totals: typeof pipelined, fetch: () => Promise<readonly unknown[]>) => {
      const summary = await measureLatency(fetchesPerRound, WARMUP, async () => check(await fetch()));
      totals.ops += summary.ops;
      totals.totalMs += summary.totalMs;
      totals.p50s.push(summary.p50Ms);
      totals.p99s.push(summary.p99Ms);
    };
    for (let round = 0; round < ROUNDS; round++) {
      await record(perCandidate, () => Promise.all(ids.map((id) => ferrite.vector.get(index, id))));
      await record(pipelined, () => ferrite.vector.getMany(index, ids));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const ratio = median(pipelined.p50s) / median(perCandidate.p50s);
    return [
      {
        name: `MMR fetch of ${MMR_FETCH_K} vectors, one get each (${name})`,
        ops: perCandidate.ops,
        opsPerSecond: (1000 * perCandidate.ops) / perCandidate.totalMs,
        p50Ms: median(perCandidate.p50s),
        p99Ms: median(perCandidate.p99s),
        goal: 'baseline for the row below (the path before issue 24)',
        pass: undefined,
      },
      {
        name: `MMR fetch of ${MMR_FETCH_K} vectors, getMany pipeline (${name})`,
        ops: pipelined.ops,
        opsPerSecond: (1000 * pipelined.ops) / pipelined.totalMs,
        p50Ms: median(pipelined.p50s),
        p99Ms: median(pipelined.p99s),
        goal: `p50 ≤ ${MAX_MMR_FETCH_RATIO}× one-get-each p50 (is ${ratio.toFixed(2)}×)`,
        pass: ratio <= MAX_MMR_FETCH_RATIO,
        timed: true,
      },
    ];
  } finally {
    await ferrite.vector.dropIndex(index).catch(() => undefined);
    await ferrite.close();
  }
}
