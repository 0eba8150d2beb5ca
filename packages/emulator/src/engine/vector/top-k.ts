/**
 * The `k` best (lowest score, then lowest id bytewise) of a stream of scored rows, in a bounded
 * max-heap: O(n log k) for n candidates, and nothing allocated per candidate. The heap's root is
 * the worst kept, so most candidates of a large scan cost one comparison.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  private count = 0;

  constructor(
    private readonly k: number,
    /** The id of a row, for ties (latin1 strings: code unit order is byte order). */
    private readonly idOf: (row: number) => string,
  ) {
    this.scores = new Float64Array(k);
    this.rows = new Int32Array(k);
  }

  /**
   * A score above this cannot enter (+Infinity until `k` rows are kept): the scan tests it inline, so
   * most rows of a large scan cost a comparison and no call (a call with a float64 argument may box it).
   */
  get worstKept(): number {
    return this.count < this.k ? Number.POSITIVE_INFINITY : (this.scores[0] as number);
  }

  offer(score: number, row: number): void {
    if (this.count < this.k) {
      this.siftUp(this.count++, score, row);
    } else if (this.before(score, row, this.scores[0] as number, this.rows[0] as number)) {
      this.siftDown(score, row);
    }
  }

  /** The kept rows, best first. */
  sorted(): { row: number; score: number }[] {
    const kept = [];
    for (let i = 0; i < this.count; i++) kept.push({ row: this.rows[i] as number, score: this.scores[i] as number });
    return kept.sort((a, b) => (this.before(a.score, a.row, b.score, b.row) ? -1 : 1));
  }

  /** True when (score a, row a) ranks before (score b, row b). */
  private before(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
    if (scoreA !== scoreB) return scoreA < scoreB;
    return this.idOf(rowA) < this.idOf(rowB);
  }

  private siftUp(position: number, score: number, row: number): void {
    let at = position;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      // Max-heap: a parent ranks after its children.
      if (!this.before(this.scores[parent] as number, this.rows[parent] as number, score, row)) break;
      this.scores[at] = this.scores[parent] as number;
      this.rows[at] = this.rows[parent] as number;
      at = parent;
    }
    this.scores[at] = score;
    this.rows[at] = row;
  }

  /** Replaces the root with (score, row) and restores the heap. */
  private siftDown(score: number, row: number): void {
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= this.count) break;
      const right = child + 1;
      if (right < this.count && this.before(this.scores[child] as number, this.rows[child] as number, this.scores[right] as number, this.rows[right] as number)) {
        child = right;
      }
      if (!this.before(score, row, this.scores[child] as number, this.rows[child] as number)) break;
      this.scores[at] = this.scores[child] as number;
      this.rows[at] = this.rows[child] as number;
      at = child;
    }
    this.scores[at] = score;
    this.rows[at] = row;
  }
}
