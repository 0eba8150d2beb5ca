/** What a {@link SlotSet} holds: an object that remembers where it sits (`-1`: not in a set). */
export interface Slotted {
  slot: number;
}

/**
 * A set of calls in progress, added and removed once per call. An array with swap-removal by the
 * slot index each entry keeps: a few stores per call, where a `Set` churned by every call cost
 * several microseconds a call under load (hashing, growth and shrinking of its table).
 */
export class SlotSet<Entry extends Slotted> {
  readonly #entries: Entry[] = [];

  add(entry: Entry): void {
    entry.slot = this.#entries.length;
    this.#entries.push(entry);
  }

  /** Removes `entry`; a no-op when it is not here (removed already). */
  delete(entry: Entry): boolean {
    const slot = entry.slot;
    if (slot < 0 || this.#entries[slot] !== entry) return false;
    const last = this.#entries.pop() as Entry;
    if (last !== entry) {
      this.#entries[slot] = last;
      last.slot = slot;
    }
    entry.slot = -1;
    return true;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** A copy, for callers that remove entries while they walk them. */
  snapshot(): Entry[] {
    return [...this.#entries];
  }
}
