/** Hash slots of a Redis Cluster (PROTOCOL.md §8). */
const CLUSTER_SLOTS = 16_384;
const NONE: readonly string[] = [];

/**
 * Per hash slot, the change logs that may hold events of its keys not yet handed to the caller,
 * oldest owner first: one log while the slot stays put. A migration moves a slot's keys one way,
 * from the older owner to the newer, one key at a time, and both owners log the slot's events
 * meanwhile; so an event from a newer owner may have older events of its key in an older owner's
 * log, and never the other way round. An owner is retired once it serves the slot no more and
 * everything it logged up to then has been handed over.
 */
export class SlotOwners {
  /** Arrays are replaced, never changed, so that the slots of one range share theirs. */
  readonly #owners = new Array<readonly string[] | undefined>(CLUSTER_SLOTS);
  /** Slots with more than one owner. */
  readonly #moving = new Set<number>();

  /** `log` serves the slots `start` to `end` (as the feed opens). */
  assign(start: number, end: number, log: string): void {
    const owners = [log];
    for (let slot = start; slot <= end; slot++) this.#owners[slot] = owners;
  }

  /**
   * The logs that owned `slot` before `log`, oldest first, whose events of the slot an event of
   * `log` may have to wait for. A log new to the slot becomes its newest owner.
   */
  before(slot: number, log: string): readonly string[] {
    const owners = this.#owners[slot];
    if (owners === undefined) {
      this.#owners[slot] = [log];
      return NONE;
    }
    const index = owners.indexOf(log);
    if (index === 0) return NONE;
    if (index > 0) return owners.slice(0, index);
    this.#owners[slot] = [...owners, log];
    this.#moving.add(slot);
    return owners;
  }

  /** `log` will log no more events of `slot`, and those it logged have been handed over. */
  retire(slot: number, log: string): void {
    const owners = this.#owners[slot];
    if (owners === undefined || !owners.includes(log)) return;
    const rest = owners.filter((owner) => owner !== log);
    this.#owners[slot] = rest.length > 0 ? rest : undefined;
    if (rest.length < 2) this.#moving.delete(slot);
  }

  /** The slots with more than one owner, with their owners. */
  moving(): { readonly slot: number; readonly owners: readonly string[] }[] {
    return [...this.#moving].map((slot) => ({ slot, owners: this.#owners[slot] ?? NONE }));
  }
}
