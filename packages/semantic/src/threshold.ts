/**
 * Making a threshold mean what it says.
 *
 * The server compares its full-precision similarity with THRESHOLD, but reports the similarity
 * rounded to 6 decimals. Taken naively, `match()` could report 0.912345 for an entry that a
 * threshold of 0.912345 then misses (its true similarity being 0.9123448). This client instead
 * defines: an entry hits when its similarity *as reported* is at least the threshold. To do that
 * it asks the server with a threshold lowered by a little more than half the reporting unit, so
 * every entry that could round up to the threshold is a candidate, asks for WITHSCORE, and
 * checks the reported similarity itself. The server picks the most similar candidate, so when
 * that one falls short no other entry could pass.
 */

/** Half of the 6-decimal reporting unit, plus margin for float32 and decimal-text error. */
const ROUNDING_MARGIN = 6e-7;

/** The THRESHOLD argument sent for a caller's threshold in [0, 1]. */
export function wireThreshold(threshold: number): string {
  const lowered = threshold - ROUNDING_MARGIN;
  // Seven decimals keep the text short and still below threshold - 5e-7 (it moves by ≤ 5e-8).
  return lowered <= 0 ? '0' : lowered.toFixed(7);
}

/** Whether a reported similarity passes the caller's threshold. */
export function meetsThreshold(similarity: number, threshold: number): boolean {
  return similarity >= threshold;
}
