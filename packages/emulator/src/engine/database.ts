import type { Database } from './command.js';
import { CommandError } from './reply.js';

/** Values are latin1 binary strings (one char per byte), like keys. */
export type Entry =
  | { readonly type: 'string'; value: string }
  | { readonly type: 'hash'; readonly value: Map<string, string> }
  | { readonly type: 'list'; readonly value: string[] }
  | { readonly type: 'set'; readonly value: Set<string> }
  | { readonly type: 'zset'; readonly value: Map<string, number> };

export type EntryType = Entry['type'];
export type EntryOf<T extends EntryType> = Extract<Entry, { type: T }>;

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

export interface KeyspaceOptions {
  readonly index: number;
  readonly now: () => number;
  /** Called once for every key removed because its time ran out (CDC `EXPIRED`). */
  readonly onExpired: (database: Keyspace, key: string) => void;
}

/**
 * One logical database: the typed key space with expiry, plus the extensions' per-database state.
 * Expired keys disappear lazily when touched, or in {@link expireDue} (the active sweep).
 */
export class Keyspace implements Database {
  readonly index: number;
  private readonly entries = new Map<string, Entry>();
  /** Absolute expiry times (ms since the epoch) of the keys that have one. */
  private readonly expiries = new Map<string, number>();
  private extensions = new Map<string, unknown>();
  private readonly now: () => number;
  private readonly onExpired: KeyspaceOptions['onExpired'];

  constructor(options: KeyspaceOptions) {
    this.index = options.index;
    this.now = options.now;
    this.onExpired = options.onExpired;
  }

  extension<T>(name: string, create: () => T): T {
    if (!this.extensions.has(name)) this.extensions.set(name, create());
    return this.extensions.get(name) as T;
  }

  /** The live entry at `key`, expiring it first when its time has come. */
  lookup(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.expireIfDue(key)) return undefined;
    return entry;
  }

  /** The live entry at `key` when it has type `type`; WRONGTYPE when it holds another type. */
  lookupTyped<T extends EntryType>(key: string, type: T): EntryOf<T> | undefined {
    const entry = this.lookup(key);
    if (entry === undefined) return undefined;
    if (entry.type !== type) throw new CommandError(WRONGTYPE);
    return entry as EntryOf<T>;
  }

  has(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  /** Stores `entry`, dropping any expiry unless `keepTtl`. */
  put(key: string, entry: Entry, keepTtl = false): void {
    this.expireIfDue(key);
    this.entries.set(key, entry);
    if (!keepTtl) this.expiries.delete(key);
  }

  delete(key: string): boolean {
    if (this.lookup(key) === undefined) return false;
    this.entries.delete(key);
    this.expiries.delete(key);
    return true;
  }

  /** Removes an aggregate left empty by a write, as Redis never keeps empty hashes, lists, sets or sorted sets. */
  deleteIfEmpty(key: string, entry: Entry): void {
    const size = entry.type === 'string' ? 1 : entry.type === 'list' ? entry.value.length : entry.value.size;
    if (size === 0) {
      this.entries.delete(key);
      this.expiries.delete(key);
    }
  }

  /** Milliseconds since the epoch when `key` expires, or undefined (no key, or no expiry). */
  expiryOf(key: string): number | undefined {
    return this.lookup(key) === undefined ? undefined : this.expiries.get(key);
  }

  setExpiry(key: string, at: number | undefined): void {
    if (at === undefined) this.expiries.delete(key);
    else this.expiries.set(key, at);
  }

  /** Every live key (expiring the due ones on the way). */
  keys(): string[] {
    const live: string[] = [];
    for (const key of [...this.entries.keys()]) if (!this.expireIfDue(key)) live.push(key);
    return live;
  }

  get size(): number {
    this.expireDue();
    return this.entries.size;
  }

  /** Number of keys with an expiry, for INFO keyspace. */
  get expiringCount(): number {
    return this.expiries.size;
  }

  /** Drops every key and every extension's state (FLUSHDB). */
  clear(): void {
    this.entries.clear();
    this.expiries.clear();
    this.extensions = new Map();
  }

  /** The active sweep: removes every key whose time has come. Returns how many went. */
  expireDue(): number {
    const now = this.now();
    let removed = 0;
    for (const [key, at] of [...this.expiries]) {
      if (at <= now && this.expireIfDue(key)) removed++;
    }
    return removed;
  }

  private expireIfDue(key: string): boolean {
    const at = this.expiries.get(key);
    if (at === undefined || at > this.now()) return false;
    this.entries.delete(key);
    this.expiries.delete(key);
    this.onExpired(this, key);
    return true;
  }
}
