import { CommandError } from '../reply.js';
import { ObservedRemoveSet } from './or-set.js';
import { PnCounter } from './pn-counter.js';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** The CRDT values of one database, created lazily through `db.extension`. A key holds a counter or a set. */
export class CrdtStore {
  private readonly values = new Map<string, PnCounter | ObservedRemoveSet>();

  /** The counter at `key`, created when `create` is set; WRONGTYPE when the key holds a set. */
  counter(key: string, create: true): PnCounter;
  counter(key: string, create: false): PnCounter | undefined;
  counter(key: string, create: boolean): PnCounter | undefined {
    const value = this.values.get(key);
    if (value instanceof PnCounter) return value;
    if (value !== undefined) throw new CommandError(WRONGTYPE);
    if (!create) return undefined;
    const counter = new PnCounter();
    this.values.set(key, counter);
    return counter;
  }

  /** The set at `key`, created when `create` is set; WRONGTYPE when the key holds a counter. */
  set(key: string, create: true): ObservedRemoveSet;
  set(key: string, create: false): ObservedRemoveSet | undefined;
  set(key: string, create: boolean): ObservedRemoveSet | undefined {
    const value = this.values.get(key);
    if (value instanceof ObservedRemoveSet) return value;
    if (value !== undefined) throw new CommandError(WRONGTYPE);
    if (!create) return undefined;
    const members = new ObservedRemoveSet();
    this.values.set(key, members);
    return members;
  }

  /** Keys that hold a value. */
  keys(): string[] {
    return [...this.values.keys()];
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** Removes the value and hands it over whole (cluster slot migration). */
  detach(key: string): PnCounter | ObservedRemoveSet | undefined {
    const value = this.values.get(key);
    this.values.delete(key);
    return value;
  }

  /** Takes in a value moved from another node, replacing any at the same key. */
  attach(key: string, value: PnCounter | ObservedRemoveSet): void {
    this.values.set(key, value);
  }

  /** An emptied set frees its key (as Redis does for its own sets). */
  releaseIfEmpty(key: string): void {
    const value = this.values.get(key);
    if (value instanceof ObservedRemoveSet && value.size === 0) this.values.delete(key);
  }
}
