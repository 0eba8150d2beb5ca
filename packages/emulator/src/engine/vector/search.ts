import { cosineScore, euclideanNorm, euclideanScore, innerProductScore } from './distance.js';
import type { DistanceMetric } from './distance.js';
import type { FilterPredicate } from './filter.js';
import type { VectorIndex } from './index-store.js';
import type { VectorMetadata } from './metadata.js';
import { TopK } from './top-k.js';

export interface SearchHit {
  readonly id: string;
  readonly score: number;
  readonly metadata: VectorMetadata;
}

/**
 * The sum a metric accumulates over one row: the dot product (COSINE, IP) or the sum of squared
 * differences (L2), component 0 first (distance.ts: the order is part of the definition).
 */
function rowSum(sumOfSquares: boolean, query: Float64Array, data: Float32Array, start: number): number {
  let sum = 0;
  if (sumOfSquares) {
    for (let j = 0; j < query.length; j++) {
      const d = (query[j] as number) - (data[start + j] as number);
      sum += d * d;
    }
  } else {
    for (let j = 0; j < query.length; j++) sum += (query[j] as number) * (data[start + j] as number);
  }
  return sum;
}

/**
 * `dotBlock`'s loop for L2: the sums of squared differences of `rows` consecutive rows. Two copies
 * of one loop shape on purpose: a metric switch or a callback inside the innermost loop is work
 * per component that V8 does not reliably hoist out, in the one loop the search's time is spent in.
 */
function squaredDistanceBlock(query: Float64Array, data: Float32Array, rows: number, sums: Float64Array): void {
  const dimension = query.length;
  let row = 0;
  for (; row + 7 < rows; row += 8) {
    const r0 = row * dimension;
    const r1 = r0 + dimension;
    const r2 = r1 + dimension;
    const r3 = r2 + dimension;
    const r4 = r3 + dimension;
    const r5 = r4 + dimension;
    const r6 = r5 + dimension;
    const r7 = r6 + dimension;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let j = 0; j < dimension; j++) {
      const q = query[j] as number;
      const d0 = q - (data[r0 + j] as number);
      const d1 = q - (data[r1 + j] as number);
      const d2 = q - (data[r2 + j] as number);
      const d3 = q - (data[r3 + j] as number);
      const d4 = q - (data[r4 + j] as number);
      const d5 = q - (data[r5 + j] as number);
      const d6 = q - (data[r6 + j] as number);
      const d7 = q - (data[r7 + j] as number);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
      s4 += d4 * d4;
      s5 += d5 * d5;
      s6 += d6 * d6;
      s7 += d7 * d7;
    }
    sums[row] = s0;
    sums[row + 1] = s1;
    sums[row + 2] = s2;
    sums[row + 3] = s3;
    sums[row + 4] = s4;
    sums[row + 5] = s5;
    sums[row + 6] = s6;
    sums[row + 7] = s7;
  }
  for (; row < rows; row++) sums[row] = rowSum(true, query, data, row * dimension);
}


/**
 * The dot products with `query` of `rows` consecutive rows from the start of `data`, into `sums`.
 * Eight rows go through the loop together: each query component is read once for eight rows, and
 * the eight sums are independent chains the CPU overlaps (measured about twice as fast as one row
 * at a time on this project's machine). Each row's sum is still accumulated in component order,
 * so it is the same number `rowSum` gives.
 */
function dotBlock(query: Float64Array, data: Float32Array, rows: number, sums: Float64Array): void {
  const dimension = query.length;
  let row = 0;
  for (; row + 7 < rows; row += 8) {
    const r0 = row * dimension;
    const r1 = r0 + dimension;
    const r2 = r1 + dimension;
    const r3 = r2 + dimension;
    const r4 = r3 + dimension;
    const r5 = r4 + dimension;
    const r6 = r5 + dimension;
    const r7 = r6 + dimension;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let j = 0; j < dimension; j++) {
      const q = query[j] as number;
      s0 += q * (data[r0 + j] as number);
      s1 += q * (data[r1 + j] as number);
      s2 += q * (data[r2 + j] as number);
      s3 += q * (data[r3 + j] as number);
      s4 += q * (data[r4 + j] as number);
      s5 += q * (data[r5 + j] as number);
      s6 += q * (data[r6 + j] as number);
      s7 += q * (data[r7 + j] as number);
    }
    sums[row] = s0;
    sums[row + 1] = s1;
    sums[row + 2] = s2;
    sums[row + 3] = s3;
    sums[row + 4] = s4;
    sums[row + 5] = s5;
    sums[row + 6] = s6;
    sums[row + 7] = s7;
  }
  for (; row < rows; row++) sums[row] = rowSum(false, query, data, row * dimension);
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
 * `topK` lowest scores are returned, ties broken by id bytewise. The scan reads the index's
 * chunks in row order; the filter (compiled once by the caller) runs once per row, before the row
 * is scored, and a row it rejects costs no arithmetic.
 */
export function exactSearch(index: VectorIndex, query: Float32Array, topK: number, filter?: FilterPredicate): SearchHit[] {
  const metric = index.options.distance;
  const sumOfSquares = metric === 'L2';
  const queryComponents = Float64Array.from(query);
  const cosine = metric === 'COSINE';
  const queryNorm = cosine ? euclideanNorm(query) : 0;
  const { ids, metadata, norms, rows: storage } = index;
  const best = new TopK(Math.min(topK, index.size), (row) => ids[row] as string);
  const sums = new Float64Array(storage.rowsPerChunk);
  const chunks = storage.chunkList;
  for (let chunk = 0; chunk < chunks.length; chunk++) {
    const data = chunks[chunk] as Float32Array;
    const rows = storage.rowsIn(chunk);
    const firstRow = chunk * storage.rowsPerChunk;
    if (filter === undefined) {
      if (sumOfSquares) squaredDistanceBlock(queryComponents, data, rows, sums);
      else dotBlock(queryComponents, data, rows, sums);
      for (let i = 0; i < rows; i++) best.offer(scoreOf(metric, sums[i] as number, queryNorm, cosine ? (norms[firstRow + i] as number) : 0), firstRow + i);
    } else {
      for (let i = 0; i < rows; i++) {
        const row = firstRow + i;
        if (!filter(metadata[row] as VectorMetadata)) continue;
        const sum = rowSum(sumOfSquares, queryComponents, data, i * queryComponents.length);
        best.offer(scoreOf(metric, sum, queryNorm, cosine ? (norms[row] as number) : 0), row);
      }
    }
  }
  return best.sorted().map(({ row, score }) => ({ id: ids[row] as string, score, metadata: metadata[row] as VectorMetadata }));
}
