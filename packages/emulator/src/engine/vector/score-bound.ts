/**
 * The lowest score a row can have, given the kernel's approximate sum for it (scan-kernel.ts:
 * float32 arithmetic, components spread over 4 lanes), so the search can skip the exact sum of a
 * row that cannot enter the top k. The bound is rigorous: a row is skipped only when even its lowest
 * possible exact score ranks after the worst kept, so results are the ones (and the score bits)
 * of summing every row exactly.
 *
 * The error. A lane sums m = stride / 4 terms in float32, each term a product (one rounding) or a
 * squared difference (three), then the 4 lanes are added pairwise (two more roundings): each term
 * passes through at most m + 4 roundings, so by the standard bound the total is within
 * γ(m + 4) = (m + 4)·u / (1 − (m + 4)·u) of the terms' absolute sum, u = 2⁻²⁴, as long as nothing
 * underflows; an underflowing product or square loses at most 2⁻¹⁵⁰ more (an addition or
 * subtraction whose result is subnormal is exact). The exact sum the search would report (float64,
 * component order, distance.ts) is itself within γ(dim) of the real sum, u = 2⁻⁵³ there.
 * `relativeError` takes (m + 8) · 2⁻²³, more than twice γ(m + 4) for every allowed dimension
 * (m ≤ 8 192, so (m + 4)·u < 2⁻¹¹) and far more than the float64 part, so it also covers the
 * rounding of the bound's own arithmetic below; `absoluteError` covers underflow.
 *
 * For a dot product (COSINE, IP) the terms' absolute sum Σ|qᵢ·vᵢ| is at most ‖q‖·‖v‖
 * (Cauchy–Schwarz), both norms known (index-store.ts keeps the rows'). For L2 the terms are the
 * squares themselves, so the exact sum is at least the approximate one shrunk by the relative error.
 * A sum that overflowed float32 (to ±Infinity or NaN) bounds nothing: such a row is summed exactly.
 */
import { cosineScore } from './distance.js';
import type { DistanceMetric } from './distance.js';

/** 2⁻¹⁴⁹ per term: the most an underflowing float32 product or square loses (2⁻¹⁵⁰), doubled. */
const ABSOLUTE_ERROR_PER_TERM = 2 ** -149;

/** The bound's relative error for rows of `stride` components (a multiple of 4), as derived above. */
export function relativeError(stride: number): number {
  return (stride / 4 + 8) * 2 ** -23;
}

/** The bound's absolute error (underflow) for rows of `stride` components. */
export function absoluteError(stride: number): number {
  return (stride + 8) * ABSOLUTE_ERROR_PER_TERM;
}

/**
 * The lowest score (distance.ts) the row can have, given its approximate sum; −Infinity when the
 * approximate sum bounds nothing. `queryNorm`/`vectorNorm` are read for COSINE and IP only.
 */
export function scoreLowerBound(
  metric: DistanceMetric,
  approximateSum: number,
  relative: number,
  absolute: number,
  queryNorm: number,
  vectorNorm: number,
): number {
  if (!Number.isFinite(approximateSum)) return Number.NEGATIVE_INFINITY;
  if (metric === 'L2') return Math.sqrt(Math.max(0, (approximateSum - absolute) * (1 - relative)));
  const highestDot = approximateSum + relative * queryNorm * vectorNorm + absolute;
  if (!Number.isFinite(highestDot)) return Number.NEGATIVE_INFINITY;
  // Both scores fall as the dot product rises (for fixed norms, as each rounding step is monotonic).
  return metric === 'COSINE' ? cosineScore(highestDot, queryNorm, vectorNorm) : -highestDot;
}
