import { cosineScore, euclideanNorm, euclideanScore, innerProductScore } from './distance.js';
import type { DistanceMetric } from './distance.js';
import type { FilterPredicate } from './filter.js';
import type { VectorIndex } from './index-store.js';
import type { VectorMetadata } from './metadata.js';
import { BLOCK_ROWS } from './row-storage.js';
import { ScoreBound } from './score-bound.js';
import { TopK } from './top-k.js';

export interface SearchHit {
  readonly id: string;
  readonly score: number;
  readonly metadata: VectorMetadata;
}

function scoreOf(metric: DistanceMetric, sum: number, queryNorm: number, vectorNorm: number): number {
  switch (metric) {
    case 'COSINE':
      return cosineScore(sum, queryNorm, vectorNorm);
    case 'IP':
      return innerProductScore(sum);
    case 'L2':
      return euclideanScore(sum);
  }
}

/**
 * Exact k-nearest-neighbour search: every stored vector that passes `filter` is scored, and the
 * `topK` lowest scores are returned, ties broken by id bytewise. The scan takes the rows in blocks
 * of up to `BLOCK_ROWS` (never across a chunk); the filter (compiled once by the caller) runs once
 * per row, before the row is scored, and nothing is allocated per row.
 *
 * Once `topK` rows are kept, a block's rows are first summed approximately (float32, about half the
 * exact kernel's time) and a row is summed exactly only if its lowest possible score
 * (score-bound.ts) does not rank after the worst kept: in a large scan with a small `topK`, a few
 * rows in a thousand. Every returned score is still an exact sum's, so the same bits as without
 * the shortcut.
 */
export function exactSearch(index: VectorIndex, query: Float32Array, topK: number, filter?: FilterPredicate): SearchHit[] {
  const metric = index.options.distance;
  const sumOfSquares = metric === 'L2';
  const cosine = metric === 'COSINE';
  const queryNorm = sumOfSquares ? 0 : euclideanNorm(query);
  const { ids, metadata, norms, rows: storage } = index;
  const bound = new ScoreBound(metric, storage.stride, queryNorm);
  const best = new TopK(Math.min(topK, index.size), (row) => ids[row] as string);
  const count = storage.count;
  storage.setQuery(query);
  const candidates = new Int32Array(BLOCK_ROWS);
  let worstKept = best.worstKept;
  for (let firstRow = 0, rows = 0; firstRow < count; firstRow += rows) {
    rows = storage.blockRows(firstRow);
    let kept = 0;
    if (filter === undefined) {
      for (let i = 0; i < rows; i++) candidates[i] = firstRow + i;
      kept = rows;
    } else {
      for (let row = firstRow; row < firstRow + rows; row++) if (filter(metadata[row] as VectorMetadata)) candidates[kept++] = row;
    }
    if (kept > 0 && worstKept !== Number.POSITIVE_INFINITY) {
      kept = bound.keepPossible(candidates, kept, storage.approximateSums(sumOfSquares, candidates, kept), norms, worstKept);
    }
    if (kept === 0) continue;
    const sums = storage.exactSums(sumOfSquares, candidates, kept);
    for (let i = 0; i < kept; i++) {
      const row = candidates[i] as number;
      const score = scoreOf(metric, sums[i] as number, queryNorm, cosine ? (norms[row] as number) : 0);
      if (score > worstKept) continue;
      best.offer(score, row);
      worstKept = best.worstKept;
    }
  }
  return best.sorted().map(({ row, score }) => ({ id: ids[row] as string, score, metadata: metadata[row] as VectorMetadata }));
}
