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
 * The relative error taken is (m + 8) · 2⁻²³, more than twice γ(m + 4) for every allowed dimension
 * (m ≤ 8 192, so (m + 4)·u < 2⁻¹¹) and far more than the float64 part, so it also covers the
 * rounding of the bound's own arithmetic below; the absolute error covers underflow.
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

/** One search's bound: its metric, its rows' stride and its query's norm (read for COSINE and IP only). */
export class ScoreBound {
  private readonly relative: number;
  private readonly absolute: number;

  constructor(
    private readonly metric: DistanceMetric,
    stride: number,
    private readonly queryNorm: number,
  ) {
    this.relative = (stride / 4 + 8) * 2 ** -23;
    this.absolute = (stride + 8) * ABSOLUTE_ERROR_PER_TERM;
  }

  /**
   * The lowest score (distance.ts) a row can have, given its approximate sum and its norm (COSINE
   * and IP); −Infinity when the approximate sum bounds nothing.
   */
  lowest(approximateSum: number, vectorNorm: number): number {
    if (!Number.isFinite(approximateSum)) return Number.NEGATIVE_INFINITY;
    if (this.metric === 'L2') return Math.sqrt(Math.max(0, (approximateSum - this.absolute) * (1 - this.relative)));
    const highestDot = approximateSum + this.relative * this.queryNorm * vectorNorm + this.absolute;
    if (!Number.isFinite(highestDot)) return Number.NEGATIVE_INFINITY;
    // Both scores fall as the dot product rises (for fixed norms, as each rounding step is monotonic).
    return this.metric === 'COSINE' ? cosineScore(highestDot, this.queryNorm, vectorNorm) : -highestDot;
  }

  /**
   * Keeps, in place, the rows of `rows[0 … count)` whose lowest score does not rank after
   * `worstKept` (ties included: the id decides those), and returns how many. `sums[i]` is the
   * approximate sum of `rows[i]`; `norms` holds the rows' norms (COSINE, IP).
   */
  keepPossible(rows: Int32Array, count: number, sums: Float32Array, norms: Float64Array, worstKept: number): number {
    const normed = this.metric !== 'L2';
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const row = rows[i] as number;
      // kept ≤ i: the rows still to read are not overwritten, and sums[i] stays row i's.
      if (this.lowest(sums[i] as number, normed ? (norms[row] as number) : 0) <= worstKept) rows[kept++] = row;
    }
    return kept;
  }
}
