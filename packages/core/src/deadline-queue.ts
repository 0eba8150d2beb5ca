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
/**
 * What a deadline belongs to and fires: the call itself holds its deadline (`at`, `queue`), so
 * scheduling one allocates nothing. `queue` is `null` when no deadline is pending.
 */
export interface Deadline {
  /** When it fires, on the monotonic clock; set by {@link scheduleDeadline}. */
  at: number;
  /** The queue it waits in; `null` once it fired or was cancelled. */
  queue: { cancel(deadline: Deadline): void } | null;
  expire(): void;
}

/**
 * The monotonic clock. The global `performance` is a lazy getter in Node, read here once rather
 * than on every call.
 */
const clock = performance;

class Queue {
  /** The timeout of every deadline in this queue. */
  readonly ms: number;
  /** Deadlines in the order they were scheduled, from `#head` to `#tail`; slots before the head are cleared. */
  #entries: (Deadline | undefined)[] = [];
  #head = 0;
  #tail = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.ms = ms;
  }

  add(entry: Deadline): void {
    entry.at = clock.now() + this.ms;
    entry.queue = this;
    this.#entries[this.#tail++] = entry;
    if (!this.#timer) this.#arm(this.ms);
  }

  /** Drops the entry at once and the cancelled entries at the head (most calls end in order). */
  cancel(entry: Deadline): void {
    entry.queue = null;
    this.#dropSettledHead();
    // Kept armed while few queues idle (the next call with this timeout reuses the timer), else let go now.
    if (this.#head === this.#tail && queues.size > MAX_IDLE_QUEUES) this.#retire();
  }

  #dropSettledHead(): void {
    const entries = this.#entries;
    while (this.#head < this.#tail && (entries[this.#head] as Deadline).queue !== this) entries[this.#head++] = undefined;
    this.#compact();
  }

  /** Stops the timer and forgets the queue; a later call with this timeout makes a new one. */
  #retire(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (queues.get(this.ms) === this) queues.delete(this.ms);
    if (lastQueue === this) lastQueue = undefined;
  }

  /**
   * Reuses the array once the queue is empty (a call at a time would otherwise allocate one per
   * call); while it is not, moves the live entries to the front in large runs.
   */
  #compact(): void {
    if (this.#head === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#tail) {
      const entries = this.#entries;
      entries.copyWithin(0, this.#head, this.#tail);
      entries.fill(undefined, this.#tail - this.#head, this.#tail);
      this.#tail -= this.#head;
      this.#head = 0;
    }
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(delay)));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = clock.now();
    const entries = this.#entries;
    const due: Deadline[] = [];
    while (this.#head < this.#tail) {
      const entry = entries[this.#head] as Deadline;
      if (entry.queue === this) {
        if (entry.at > now) break;
        entry.queue = null;
        due.push(entry);
      }
      entries[this.#head++] = undefined;
    }
    this.#compact();
    const next = entries[this.#head];
    if (this.#head < this.#tail && next) this.#arm(next.at - now);
    else {
      // Empty: its array goes with it (it may have grown to the largest burst of calls).
      this.#entries = [];
      this.#retire();
    }
    for (const entry of due) entry.expire();
  }
}

const queues = new Map<number, Queue>();
/** Up to this many queues, an emptied one keeps its timer for reuse; beyond, it goes at once. */
const MAX_IDLE_QUEUES = 32;

/** How many queues exist now (for tests: it must not grow with the number of distinct timeouts used). */
export function deadlineQueueCount(): number {
  return queues.size;
}

/**
 * The queue the last deadline went to: most calls share one timeout (the client's), and a map
 * lookup per call is a measurable share of scheduling one. `undefined` once that queue is retired.
 */
let lastQueue: Queue | undefined;

/** Calls `entry.expire()` after `ms` milliseconds unless {@link cancelDeadline} runs first. */
export function scheduleDeadline(ms: number, entry: Deadline): void {
  let queue = lastQueue !== undefined && lastQueue.ms === ms ? lastQueue : queues.get(ms);
  if (!queue) {
    queue = new Queue(ms);
    queues.set(ms, queue);
  }
  lastQueue = queue;
  queue.add(entry);
}

/** Stops a deadline from firing; a no-op once it fired or was cancelled. */
export function cancelDeadline(entry: Deadline): void {
  if (entry.queue !== null) entry.queue.cancel(entry);
}
