export type DistanceMetric = 'COSINE' | 'L2' | 'IP';

export const DISTANCE_METRICS: readonly DistanceMetric[] = ['COSINE', 'L2', 'IP'];

/*
 * docs/protocol.md#vector-search's scores, distances (lower is closer), computed in float64 from
 * the float32 components so every server and the SDK's tests agree to the 6 decimals the reply
 * carries. Each metric is written in terms of the sums a scan accumulates (a dot product, a sum of
 * squares), so the search's loops and `distanceScore` share one definition; the sums are always
 * accumulated component 0 first, which makes a score the same bits however it was reached.
 */

/** The Euclidean norm, accumulated in float64 in component order. */
export function euclideanNorm(vector: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** COSINE: 1 − cos, with cos taken as 0 when either norm is 0. */
export function cosineScore(dot: number, queryNorm: number, vectorNorm: number): number {
  if (queryNorm === 0 || vectorNorm === 0) return 1;
  const cos = dot / (queryNorm * vectorNorm);
  // Rounding can push |cos| a hair past 1; the documented range is [0, 2].
  return 1 - Math.min(1, Math.max(-1, cos));
}

/** IP: −dot, never −0. */
export function innerProductScore(dot: number): number {
  return dot === 0 ? 0 : -dot;
}

/** L2: the Euclidean distance, from the sum of squared differences. */
export function euclideanScore(sumOfSquares: number): number {
  return Math.sqrt(sumOfSquares);
}

/** The score of one vector against `query`, straight from the definitions above. */
export function distanceScore(metric: DistanceMetric, query: Float32Array, vector: Float32Array): number {
  switch (metric) {
    case 'COSINE': {
      let dot = 0;
      for (let i = 0; i < query.length; i++) dot += (query[i] as number) * (vector[i] as number);
      return cosineScore(dot, euclideanNorm(query), euclideanNorm(vector));
    }
    case 'L2': {
      let sum = 0;
      for (let i = 0; i < query.length; i++) {
        const d = (query[i] as number) - (vector[i] as number);
        sum += d * d;
      }
      return euclideanScore(sum);
    }
    case 'IP': {
      let dot = 0;
      for (let i = 0; i < query.length; i++) dot += (query[i] as number) * (vector[i] as number);
      return innerProductScore(dot);
    }
  }
}

/**
 * The reply's score text: exactly 6 digits after the point, never `-0.000000`, and never the
 * exponent form `toFixed` falls back to at 1e21 and beyond (inner products of large vectors).
 */
export function formatScore(score: number): string {
  if (Math.abs(score) >= 1e21) return `${BigInt(score)}.000000`;
  const text = score.toFixed(6);
  return text === '-0.000000' ? '0.000000' : text;
}
