/**
 * Deadlines for many calls on few timers. A `setTimeout` per call was a measurable share of what
 * core adds to a call; calls with the same timeout expire in the order they started, so one queue
 * per timeout value with one timer at its head does the same work. Cancelling only marks the entry
 * (it is dropped when it reaches the head). The timers are unref'd: a call in flight keeps the
 * process alive through its connection, not through its deadline.
 */
interface Entry {
  readonly at: number;
  fire: () => void;
  cancelled: boolean;
}

const NOTHING = (): void => {};

class Queue {
  readonly #ms: number;
  #entries: Entry[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(fire: () => void): Entry {
    const entry: Entry = { at: Date.now() + this.#ms, fire, cancelled: false };
    this.#entries.push(entry);
    if (!this.#timer) this.#arm(this.#ms);
    return entry;
  }

  /** Drops the entry's closure at once and the cancelled entries at the head (most calls end in order). */
  cancel(entry: Entry): void {
    entry.cancelled = true;
    entry.fire = NOTHING;
    while (this.#head < this.#entries.length && (this.#entries[this.#head] as Entry).cancelled) this.#head++;
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(delay)));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    const due: Entry[] = [];
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head] as Entry;
      if (!entry.cancelled && entry.at > now) break;
      this.#head++;
      if (!entry.cancelled) due.push(entry);
    }
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    const next = this.#entries[this.#head];
    if (next) this.#arm(next.at - now);
    for (const entry of due) entry.fire();
  }
}

const queues = new Map<number, Queue>();

/** Runs `fire` after `ms` milliseconds unless the returned cancel function runs first. */
export function scheduleDeadline(ms: number, fire: () => void): () => void {
  let queue = queues.get(ms);
  if (!queue) {
    queue = new Queue(ms);
    queues.set(ms, queue);
  }
  const entry = queue.add(fire);
  const owner = queue;
  return () => owner.cancel(entry);
}
