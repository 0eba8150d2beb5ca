export type DistanceMetric = 'COSINE' | 'L2' | 'IP';

export const DISTANCE_METRICS: readonly DistanceMetric[] = ['COSINE', 'L2', 'IP'];

/**
 * docs/protocol.md#vector-search's score, a distance (lower is closer), computed in float64 from the float32
 * components so every server and the SDK's tests agree to the 6 decimals the reply carries.
 */
export function distanceScore(metric: DistanceMetric, query: Float32Array, vector: Float32Array): number {
  switch (metric) {
    case 'COSINE': {
      let dot = 0;
      let queryNorm = 0;
      let vectorNorm = 0;
      for (let i = 0; i < query.length; i++) {
        const q = query[i] as number;
        const v = vector[i] as number;
        dot += q * v;
        queryNorm += q * q;
        vectorNorm += v * v;
      }
      if (queryNorm === 0 || vectorNorm === 0) return 1;
      const cos = dot / (Math.sqrt(queryNorm) * Math.sqrt(vectorNorm));
      // Rounding can push |cos| a hair past 1; the documented range is [0, 2].
      return 1 - Math.min(1, Math.max(-1, cos));
    }
    case 'L2': {
      let sum = 0;
      for (let i = 0; i < query.length; i++) {
        const d = (query[i] as number) - (vector[i] as number);
        sum += d * d;
      }
      return Math.sqrt(sum);
    }
    case 'IP': {
      let dot = 0;
      for (let i = 0; i < query.length; i++) dot += (query[i] as number) * (vector[i] as number);
      return dot === 0 ? 0 : -dot;
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
