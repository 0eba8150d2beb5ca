import { INT64_MAX, INT64_MIN } from '../commands/arguments.js';

/** How many op-ids a counter remembers: docs/protocol.md#crdts asks for at least 10000. */
export const REMEMBERED_OP_IDS = 10000;

export class CounterOverflowError extends Error {
  constructor() {
    super('increment or decrement would overflow');
    this.name = 'CounterOverflowError';
  }
}

/**
 * One replica's PN-counter: increments and decrements are kept apart (as a replicating server
 * would, to merge them) and the value is their difference, which must stay a signed 64-bit integer.
 * An op-id makes an increment idempotent.
 */
export class PnCounter {
  private increments = 0n;
  private decrements = 0n;
  /** Insertion-ordered, so the oldest op-id is forgotten first. */
  private readonly appliedOpIds = new Set<string>();

  get value(): bigint {
    return this.increments - this.decrements;
  }

  /**
   * Applies `amount` unless `opId` was already applied; returns the value after it.
   * Throws {@link CounterOverflowError} (and remembers nothing) when the value would leave int64.
   */
  increment(amount: bigint, opId?: string): bigint {
    if (opId !== undefined && this.appliedOpIds.has(opId)) return this.value;
    const next = this.value + amount;
    if (next > INT64_MAX || next < INT64_MIN) throw new CounterOverflowError();
    if (amount >= 0n) this.increments += amount;
    else this.decrements -= amount;
    if (opId !== undefined) this.remember(opId);
    return next;
  }

  /** The op-ids this counter remembers, oldest first (what a replica copied, for tests). */
  rememberedOpIds(): string[] {
    return [...this.appliedOpIds];
  }

  /** A deep copy (op-ids included), for a cluster replica that receives a migrated counter. */
  clone(): PnCounter {
    const copy = new PnCounter();
    copy.increments = this.increments;
    copy.decrements = this.decrements;
    for (const opId of this.appliedOpIds) copy.appliedOpIds.add(opId);
    return copy;
  }

  private remember(opId: string): void {
    this.appliedOpIds.add(opId);
    if (this.appliedOpIds.size > REMEMBERED_OP_IDS) {
      const oldest = this.appliedOpIds.values().next().value as string;
      this.appliedOpIds.delete(oldest);
    }
  }
}
