/**
 * Deadlines for many calls on few timers. A `setTimeout` per call was a measurable share of what
 * core adds to a call; calls with the same timeout expire in the order they started, so one queue
 * per timeout value with one timer at its head does the same work. Cancelling only marks the entry
 * (it is dropped when it reaches the head). The timers are unref'd: a call in flight keeps the
 * process alive through its connection, not through its deadline.
 *
 * Times are read on the monotonic clock (`performance.now()`): a step of the wall clock moves no
 * deadline. An empty queue is let go when its timer fires, or at once when there are more than
 * {@link MAX_IDLE_QUEUES} queues, so any mix of timeouts (`budget - elapsed` gives a new
 * one per call) leaves behind only the queues of calls still pending.
 */
/** What a deadline fires: the call it belongs to. */
export interface Expirable {
  expire(): void;
}

/** A scheduled deadline; hand it to {@link cancelDeadline}. */
export interface Deadline {
  readonly at: number;
  readonly queue: { cancel(deadline: Deadline): void };
  owner: Expirable | null;
}

class Queue {
  readonly #ms: number;
  #entries: Deadline[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(owner: Expirable): Deadline {
    const entry: Deadline = { at: performance.now() + this.#ms, queue: this, owner };
    this.#entries.push(entry);
    if (!this.#timer) this.#arm(this.#ms);
    return entry;
  }

  /** Drops the entry's owner at once and the cancelled entries at the head (most calls end in order). */
  cancel(entry: Deadline): void {
    entry.owner = null;
    while (this.#head < this.#entries.length && (this.#entries[this.#head] as Deadline).owner === null) this.#head++;
    this.#compact();
    // Kept armed while few queues idle (the next call with this timeout reuses the timer), else let go now.
    if (this.#entries.length === 0 && queues.size > MAX_IDLE_QUEUES) this.#retire();
  }

  /** Stops the timer and forgets the queue; a later call with this timeout makes a new one. */
  #retire(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (queues.get(this.#ms) === this) queues.delete(this.#ms);
  }

  /** Lets go of the entries before the head: all of them once the queue is empty, else in large runs. */
  #compact(): void {
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
    const now = performance.now();
    const due: Expirable[] = [];
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head] as Deadline;
      if (entry.owner !== null && entry.at > now) break;
      this.#head++;
      if (entry.owner !== null) {
        due.push(entry.owner);
        entry.owner = null;
      }
    }
    this.#compact();
    const next = this.#entries[this.#head];
    if (next) this.#arm(next.at - now);
    else this.#retire();
    for (const owner of due) owner.expire();
  }
}

const queues = new Map<number, Queue>();
/** Up to this many queues, an emptied one keeps its timer for reuse; beyond, it goes at once. */
const MAX_IDLE_QUEUES = 32;

/** How many queues exist now (for tests: it must not grow with the number of distinct timeouts used). */
export function deadlineQueueCount(): number {
  return queues.size;
}

/** Calls `owner.expire()` after `ms` milliseconds unless {@link cancelDeadline} runs first. */
export function scheduleDeadline(ms: number, owner: Expirable): Deadline {
  let queue = queues.get(ms);
  if (!queue) {
    queue = new Queue(ms);
    queues.set(ms, queue);
  }
  return queue.add(owner);
}

/** Stops a deadline from firing; a no-op once it fired or was cancelled. */
export function cancelDeadline(deadline: Deadline): void {
  if (deadline.owner !== null) deadline.queue.cancel(deadline);
}
