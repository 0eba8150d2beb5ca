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

/**
 * The server-wide change log: a ring buffer of the newest `capacity` events, with ids strictly
 * increasing from 1 across the whole server. Event `id` sits in slot `(id - 1) % capacity`.
 */
export class ChangeLog implements ChangeLogView {
  readonly capacity: number;
  private readonly now: () => number;
  private readonly ring: ChangeEvent[] = [];
  private nextId = 1;
  private readonly appendListeners = new Set<(event: ChangeEvent) => void>();

  constructor(options: ChangeLogOptions) {
    if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`change log capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.now = options.now;
  }

  append(input: ChangeEventInput): ChangeEvent {
    const event: ChangeEvent = {
      id: this.nextId++,
      timestamp: this.now(),
      db: input.db,
      op: input.op,
      key: input.key,
      // The caller may reuse its buffer; the log must keep what was written.
      value: input.value === null ? null : Buffer.from(input.value),
    };
    this.ring[(event.id - 1) % this.capacity] = event;
    for (const listener of this.appendListeners) {
      try {
        listener(event);
      } catch {
        // A reader's failure must never fail the write that produced the event.
      }
    }
    return event;
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

  /** Calls `listener` synchronously after every append; returns the function that stops it. */
  onAppend(listener: (event: ChangeEvent) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }
}
