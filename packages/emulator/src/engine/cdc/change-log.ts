import { randomBytes } from 'node:crypto';
import type { ChangeEventInput, ChangeLogView } from '../command.js';

/** One entry of the change log (docs/protocol.md#change-data-capture). `key` is a latin1 binary string. */
export interface ChangeEvent {
  readonly id: number;
  readonly timestamp: number;
  readonly db: number;
  readonly op: string;
  readonly key: string;
  readonly value: Buffer | null;
}

export interface ChangeLogOptions {
  /** How many of the newest events are retained (the emulator's default is 100000). */
  readonly capacity: number;
  /** Milliseconds since the epoch, for event timestamps. */
  readonly now: () => number;
}

/** What a replica copies of its primary's log when it synchronises whole (PROTOCOL.md §8.1). */
export interface ChangeLogSnapshot {
  readonly logId: string;
  readonly epoch: number;
  readonly epochStarts: ReadonlyMap<number, number>;
  readonly nextId: number;
  /** The retained events, oldest first. */
  readonly events: readonly ChangeEvent[];
}

/** A fresh log identity: 40 lowercase hex characters (PROTOCOL.md §8.1). */
export function newLogId(): string {
  return randomBytes(20).toString('hex');
}

/**
 * The server-wide change log: a ring buffer of the newest `capacity` events, with ids strictly
 * increasing from 1 across the whole server. Event `id` sits in slot `(id - 1) % capacity`.
 *
 * It has an identity (PROTOCOL.md §8.1): a `logId` made when the log is made, and epochs, each
 * starting at an id. A replica's log copies its primary's (same identity, same ids); a promoted
 * replica starts a new epoch.
 */
export class ChangeLog implements ChangeLogView {
  readonly capacity: number;
  private readonly now: () => number;
  private ring: ChangeEvent[] = [];
  private nextId = 1;
  private currentLogId = newLogId();
  /** The first id of every epoch of this log, by epoch (all of them: a few per failover). */
  private epochStarts = new Map<number, number>([[0, 1]]);
  private currentEpoch = 0;
  private readonly appendListeners = new Set<(event: ChangeEvent) => void>();
  private readonly replaceListeners = new Set<() => void>();

  constructor(options: ChangeLogOptions) {
    if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`change log capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.now = options.now;
  }

  append(input: ChangeEventInput): ChangeEvent {
    const event: ChangeEvent = {
      id: this.nextId,
      timestamp: this.now(),
      db: input.db,
      op: input.op,
      key: input.key,
      // The caller may reuse its buffer; the log must keep what was written.
      value: input.value === null ? null : Buffer.from(input.value),
    };
    this.store(event);
    return event;
  }

  /**
   * Appends an event of the primary's log as it is (same id, timestamp and fields): a replica
   * never numbers events of its own. Its id must be the next one of this log.
   */
  copy(event: ChangeEvent): void {
    if (event.id !== this.nextId) throw new Error(`change log copy out of order: expected id ${this.nextId}, got ${event.id}`);
    this.store(event);
  }

  private store(event: ChangeEvent): void {
    this.nextId = event.id + 1;
    this.ring[(event.id - 1) % this.capacity] = event;
    for (const listener of this.appendListeners) {
      try {
        listener(event);
      } catch {
        // A reader's failure must never fail the write that produced the event.
      }
    }
  }

  /** This log's identity, 40 lowercase hex characters; FLUSHALL keeps it. */
  get logId(): string {
    return this.currentLogId;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** The first id of the current epoch. */
  get epochStartId(): number {
    return this.epochStarts.get(this.currentEpoch) as number;
  }

  /** The first id of `epoch`, or undefined when this log has no such epoch. */
  epochStart(epoch: number): number | undefined {
    return this.epochStarts.get(epoch);
  }

  /**
   * Starts the next epoch at the next id, as a replica promoted to primary does: the log keeps
   * its identity, and the ids its old primary gave to events never copied here are given again.
   */
  beginEpoch(): void {
    this.currentEpoch++;
    this.epochStarts.set(this.currentEpoch, this.nextId);
  }

  /** Everything a replica needs to take this log over whole. */
  snapshot(): ChangeLogSnapshot {
    const events: ChangeEvent[] = [];
    for (let id = this.firstId; id >= 1 && id <= this.lastId; id++) events.push(this.get(id) as ChangeEvent);
    return { logId: this.currentLogId, epoch: this.currentEpoch, epochStarts: new Map(this.epochStarts), nextId: this.nextId, events };
  }

  /**
   * Replaces this log by a copy of another (a replica's full synchronisation): identity, epochs
   * and events. Readers are told first, since what they were reading is gone.
   */
  replaceWith(snapshot: ChangeLogSnapshot): void {
    this.currentLogId = snapshot.logId;
    this.currentEpoch = snapshot.epoch;
    this.epochStarts = new Map(snapshot.epochStarts);
    this.ring = [];
    for (const event of snapshot.events) this.ring[(event.id - 1) % this.capacity] = event;
    this.nextId = snapshot.nextId;
    for (const listener of this.replaceListeners) listener();
  }

  /** The newest id, 0 before the first event. */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** The oldest retained id, 0 before the first event. */
  get firstId(): number {
    if (this.nextId === 1) return 0;
    return Math.max(1, this.nextId - this.capacity);
  }

  get retained(): number {
    return Math.min(this.nextId - 1, this.capacity);
  }

  /** Whether older events have been discarded to make room. */
  get hasDiscarded(): boolean {
    return this.nextId - 1 > this.capacity;
  }

  /** The event with this id, or undefined when it is not retained (discarded, or not yet appended). */
  get(id: number): ChangeEvent | undefined {
    if (id < this.firstId || id > this.lastId || id < 1) return undefined;
    return this.ring[(id - 1) % this.capacity];
  }

  /** Calls `listener` after {@link replaceWith}; returns the function that stops it. */
  onReplace(listener: () => void): () => void {
    this.replaceListeners.add(listener);
    return () => this.replaceListeners.delete(listener);
  }

  /** Calls `listener` synchronously after every append; returns the function that stops it. */
  onAppend(listener: (event: ChangeEvent) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }
}
