/** What this process saw for one cache handle. */
export interface SemanticLocalStats {
  /** Lookups that returned a cached value. */
  readonly hits: number;
  /** Lookups that found nothing usable. */
  readonly misses: number;
  /** Cache operations that failed: lookups, stores, and stored values the codec could not read. */
  readonly errors: number;
  /** Calls that got their value without running `compute`: from the cache, or from a concurrent call's computation. */
  readonly computationsSaved: number;
  /** Mean round trip of the lookups that got a reply, in milliseconds (0 before the first). */
  readonly meanLookupMs: number;
}

/** Mutable counters behind {@link SemanticLocalStats}. */
export class LocalCounters {
  hits = 0;
  misses = 0;
  errors = 0;
  computationsSaved = 0;
  #lookups = 0;
  #lookupMs = 0;

  recordLookup(milliseconds: number): void {
    this.#lookups++;
    this.#lookupMs += milliseconds;
  }

  snapshot(): SemanticLocalStats {
    return {
      hits: this.hits,
      misses: this.misses,
      errors: this.errors,
      computationsSaved: this.computationsSaved,
      meanLookupMs: this.#lookups === 0 ? 0 : this.#lookupMs / this.#lookups,
    };
  }
}
