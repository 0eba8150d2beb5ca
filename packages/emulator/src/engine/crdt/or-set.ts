/**
 * One replica's observed-remove set. Every add gets a fresh tag and a remove deletes the tags it
 * has observed, so an add this replica has not seen (a concurrent one, merged later) survives the
 * remove: add wins. Members keep insertion order.
 */
export class ObservedRemoveSet {
  private readonly tags = new Map<string, Set<number>>();
  private nextTag = 1;

  /** Returns whether the member was absent before. */
  add(member: string): boolean {
    const existing = this.tags.get(member);
    if (existing !== undefined) {
      existing.add(this.nextTag++);
      return false;
    }
    this.tags.set(member, new Set([this.nextTag++]));
    return true;
  }

  /** Returns whether the member was present. */
  remove(member: string): boolean {
    return this.tags.delete(member);
  }

  has(member: string): boolean {
    return this.tags.has(member);
  }

  get size(): number {
    return this.tags.size;
  }

  members(): string[] {
    return [...this.tags.keys()];
  }

  /** A deep copy, for a cluster replica that receives a migrated set. */
  clone(): ObservedRemoveSet {
    const copy = new ObservedRemoveSet();
    for (const [member, tags] of this.tags) copy.tags.set(member, new Set(tags));
    copy.nextTag = this.nextTag;
    return copy;
  }
}
