import { FerriteProtocolError, prepareCommand, type CallOptions, type DedicatedContext, type PluginContext } from '@ferrite/core';
import { setImmediate } from 'node:timers/promises';
import { sleep } from '@ferrite/core/transport';
import { reconnectDelay } from './backoff.js';
import type { LogPosition } from './checkpoint.js';
import { encodeCheckpoint, type ChangeFeedCheckpoint } from './checkpoint.js';
import { cdcInfoCommand, type CdcLogInfo } from './commands/info.js';
import { cdcPollBinaryCommand, cdcPollCommand, cdcPollWithNextBinaryCommand, cdcPollWithNextCommand, type CdcPollBatch, type CdcPollCommandOptions } from './commands/poll.js';
import { cdcSubscribeCommand } from './commands/subscribe.js';
import { CdcPositionExpiredError, CdcPositionLostError, rolledBackAfter, toCdcError } from './errors.js';
import { isTransient } from './failures.js';
import { abortedBeforeStart, FeedBase } from './feed-base.js';
import type { ChangeEvent, ChangeFeedReconnect } from './types.js';

/** Where one log's feed starts: a keyword, or a saved place in that log. */
export type FeedStart = 'latest' | 'earliest' | LogPosition;

/** Validated `subscribe` options. */
export interface FeedSettings {
  readonly pattern: string;
  readonly events: readonly string[] | undefined;
  readonly from: FeedStart;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly bufferSize: number;
  readonly binary: boolean;
  readonly signal: AbortSignal | undefined;
  readonly onReconnect: ((reconnect: ChangeFeedReconnect) => void) | undefined;
}

/** What a feed needs from the client it belongs to. */
export interface FeedHost {
  readonly context: PluginContext;
  /**
   * On a cluster: the node (an id from `context.nodes()`) whose change log this feed follows; its
   * connection and `CDC.INFO` go there. Undefined on a single node.
   */
  readonly node?: string;
  /** Whether the client has closed: a feed then stops instead of reconnecting. */
  readonly clientClosed: () => boolean;
  /** Called once when the feed has ended, however it ended. */
  readonly onEnded: (feed: { close(): Promise<void> }) => void;
  /** Called when the feed lost its connection and is about to reconnect (a cluster looks at its primaries then). */
  readonly onInterrupted?: () => void;
  /**
   * The id of the last event of this log the caller has had, when the host hands events on (a
   * cluster's merge holds one back): a failover that rolled back only later ids lost nothing.
   * Default: the last event this feed handed out.
   */
  readonly lastHanded?: () => number;
}

/**
 * How long `close()` waits for the connection to close. The connection is closed either way (the
 * server drops the subscription with it); this only bounds how long the caller waits, so that
 * cancellation settles within 100 ms even against a server that has stopped answering.
 */
const RELEASE_BOUND_MS = 60;
/** How often `earliest` retries when the oldest event is discarded between CDC.INFO and CDC.SUBSCRIBE. */
const EARLIEST_ATTEMPTS = 5;
/**
 * Most events a poll may bring and still count as answered by the first write of a run, after
 * which the feed lets a turn of the event loop pass before polling again (see {@link Feed}'s poller).
 */
const ANSWERED_EARLY = 1;
/** Compact the buffer once this many taken slots sit at its front. */
const COMPACT_AFTER = 1024;

/**
 * `context` with its calls bounded by what remains until `deadline` (performance clock), read
 * when called: one step of a feed's setup. As it is without a deadline.
 */
function untilDeadline<Context extends { withOptions(options: CallOptions): Context }>(context: Context, deadline: number | undefined): Context {
  if (deadline === undefined || !Number.isFinite(deadline)) return context;
  return context.withOptions({ timeout: Math.max(1, deadline - performance.now()) });
}

type Waiter<Value extends string | Buffer> = {
  readonly resolve: (result: IteratorResult<ChangeEvent<Value>, undefined>) => void;
  readonly reject: (error: unknown) => void;
};

/**
 * One change feed over one change log. Polls on a dedicated connection of its own; on a transient
 * failure it drops that connection, waits (backoff), opens another and subscribes again from the
 * first event it has not fetched yet, naming the log and epoch it read them in (PROTOCOL.md §8.1)
 * so that a replaced or rolled-back log is an error, never a silent skip. Events fetched but not
 * yet taken wait in a bounded buffer. Every call runs under the client's deadline and the feed's
 * own signal, so stopping the feed ends whatever it is waiting for.
 *
 * A cluster feed runs one per primary behind a merging iterator (`ClusterFeed`).
 */
export class Feed<Value extends string | Buffer> extends FeedBase<Value> {
  readonly #host: FeedHost;
  readonly #settings: FeedSettings;
  /** Aborted when the feed stops, for whatever reason: ends waits and calls in flight. */
  readonly #stop = new AbortController();
  /** The client's context, with every call ending when the feed stops. */
  readonly #context: PluginContext;
  /** The log this feed reads and its epoch when last subscribed (v1.2 servers; undefined before). */
  #logId: string | undefined;
  #epoch: number | undefined;
  /** The server reports where each poll stopped scanning (`WITHNEXT`, v1.2). */
  #withNext = false;
  /** The first event id not fetched yet (or not scanned yet, with `WITHNEXT`): where a new subscription starts. */
  #next = 1;
  /** The id of the last event handed to the caller; 0 before any (a start hands nothing over). */
  #lastHanded = 0;
  #buffer: Array<ChangeEvent<Value> | undefined> = [];
  #head = 0;
  readonly #waiters: Waiter<Value>[] = [];
  /** Set when the feed fails; thrown to the caller once the buffer is drained. */
  #failure: { readonly error: unknown } | undefined;
  #ended = false;
  #connection: DedicatedContext | undefined;
  #subscription: number | undefined;
  /** Wakes the poller that stopped because the buffer was full. */
  #roomAvailable: (() => void) | undefined;
  #pollsStarted = 0;
  #lastShortPoll = 0;
  /**
   * Set by {@link drain}: the log's last id, read over this feed's own connection, once known
   * (`null` until then); the feed ends once it has fetched everything up to it.
   */
  #drainTo: number | null | undefined;
  /** The poll count when {@link #drainTo} was read (a short poll after it proves the drain without `WITHNEXT`). */
  #drainMark = 0;

  private constructor(host: FeedHost, settings: FeedSettings) {
    super(settings.signal);
    this.#host = host;
    this.#settings = settings;
    this.#context = host.context.withOptions({ signal: this.#stop.signal });
  }

  /**
   * Subscribes, and resolves once the server subscription is in place and the poller runs.
   *
   * `setupDeadline` (performance clock, ms; `Infinity`: none) is the deadline of the `subscribe`
   * call this feed is opened for: until then a transient failure of the setup (the connection
   * lost, a step past its deadline) is retried with the reconnect backoff and reported to
   * `onReconnect`, and every step is bounded by what remains of it. Undefined: one attempt under
   * the client's deadline per step (a cluster feed opening a log it found later, whose refresh
   * tries again).
   */
  static async open<Value extends string | Buffer>(host: FeedHost, settings: FeedSettings, setupDeadline?: number): Promise<Feed<Value>> {
    const feed = new Feed<Value>(host, settings);
    feed.followSignal();
    try {
      await feed.#start(setupDeadline);
    } catch (error) {
      const stopped = feed.#stop.signal.aborted;
      await feed.close();
      if (stopped) throw abortedBeforeStart(settings.signal);
      throw error;
    }
    void feed.#run();
    return feed;
  }

  get checkpoint(): ChangeFeedCheckpoint {
    return encodeCheckpoint({ logs: [this.logPosition] });
  }

  /** Where this feed stands in its log: the first event not handed to the caller yet. */
  get logPosition(): LogPosition {
    return { logId: this.#logId, epoch: this.#epoch, node: undefined, next: this.resumeId, lastHanded: this.#lastHanded };
  }

  /** The log this feed reads, once known (v1.2 servers). */
  get logId(): string | undefined {
    return this.#logId;
  }

  /**
   * The first event id not handed to the caller yet: the oldest buffered event, or else the first
   * id not fetched (with `WITHNEXT`, past the other keys' events the server scanned).
   */
  get resumeId(): number {
    return this.#buffered > 0 ? (this.#buffer[this.#head] as ChangeEvent<Value>).id : this.#next;
  }

  /** Events fetched and not taken yet. */
  get bufferedCount(): number {
    return this.#buffered;
  }

  /** Polls sent so far; with {@link lastShortPoll}, tells whether the feed caught up after a moment. */
  get pollsStarted(): number {
    return this.#pollsStarted;
  }

  /**
   * The number (1-based, in {@link pollsStarted} order) of the last poll that came back with fewer
   * events than asked for: the server had nothing more matching, so every event logged before that
   * poll began has been fetched. 0 before any.
   */
  get lastShortPoll(): number {
    return this.#lastShortPoll;
  }

  /** Whether the feed has stopped (closed, or failed with an error still to hand over). */
  get ended(): boolean {
    return this.#ended;
  }

  async lag(): Promise<number> {
    const node = this.#host.node;
    const info = await (node === undefined ? this.#host.context : this.#host.context.onNode(node)).call(cdcInfoCommand);
    return Math.max(0, Math.min(info.lastId - (this.resumeId - 1), info.retained));
  }

  /**
   * The node no longer serves this log (it left the cluster's primaries): read its last id over
   * this feed's own connection, fetch everything up to it, then end (`done` after the buffered
   * events). Safe to call again.
   */
  drain(): void {
    if (this.#drainTo === undefined) this.#drainTo = null;
  }

  /**
   * The node is gone for good: end now if everything it logged has been fetched, else fail with
   * `CdcPositionLostError` naming what was not (after the events already fetched).
   */
  departed(): void {
    if (this.#ended) return;
    if (this.#drained) {
      this.#finish();
      return;
    }
    const lastLostId = this.#drainTo ?? undefined;
    this.#fail(new CdcPositionLostError({ reason: 'node-departed', logId: this.#logId, firstLostId: this.#next, lastLostId }));
  }

  next(): Promise<IteratorResult<ChangeEvent<Value>, undefined>> {
    const event = this.#take();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#failure !== undefined) {
      const { error } = this.#failure;
      this.#failure = undefined;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  protected async shutdown(): Promise<void> {
    this.#ended = true;
    this.#failure = undefined;
    this.#stop.abort();
    this.#buffer = [];
    this.#head = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
    this.unfollowSignal();
    this.#host.onEnded(this);
    await this.#release();
  }

  /** Everything up to {@link #drainTo} has been fetched. */
  get #drained(): boolean {
    const drainTo = this.#drainTo;
    if (drainTo === undefined || drainTo === null) return false;
    return this.#next > drainTo || (this.#buffered === 0 && this.#lastShortPoll > this.#drainMark);
  }

  /** Stops polling; the caller gets the events already fetched, then `done`. */
  #finish(): void {
    this.#end(undefined);
  }

  /** Stops polling and hands `error` to the caller after the events already fetched. */
  #fail(error: unknown): void {
    this.#end({ error });
  }

  /** Stops polling and releases the connection; the buffered events stay for the caller, then `failure` or `done`. */
  #end(failure: { readonly error: unknown } | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stop.abort();
    this.unfollowSignal();
    this.#host.onEnded(this);
    void this.#release();
    // Waiters exist only while the buffer is empty: the first one gets the failure at once.
    const waiter = failure === undefined ? undefined : this.#waiters.shift();
    if (waiter !== undefined) waiter.reject((failure as { readonly error: unknown }).error);
    else this.#failure = failure;
    for (const other of this.#waiters.splice(0)) other.resolve({ done: true, value: undefined });
  }

  #take(): ChangeEvent<Value> | undefined {
    if (this.#head >= this.#buffer.length) return undefined;
    const event = this.#buffer[this.#head] as ChangeEvent<Value>;
    this.#buffer[this.#head++] = undefined;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    this.#lastHanded = event.id;
    this.#roomAvailable?.();
    return event;
  }

  get #buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /**
   * Sets the feed up, retrying a transient failure until `deadline` (see {@link open}). Each
   * attempt starts from `from` afresh: `'latest'` is the log's end as the attempt that succeeds
   * reads it, a checkpoint its exact place.
   */
  async #start(deadline: number | undefined): Promise<void> {
    const { from } = this.#settings;
    let failures = 0;
    let expired = 0;
    for (;;) {
      try {
        if (typeof from === 'object') {
          this.#next = from.next;
          this.#lastHanded = from.lastHanded;
          this.#logId = from.logId;
          this.#epoch = from.epoch;
          await this.#connect(undefined, deadline);
        } else {
          await this.#connect(from, deadline);
        }
        return;
      } catch (error) {
        // `earliest` only: the oldest event was discarded between CDC.INFO and CDC.SUBSCRIBE; ask again.
        if (error instanceof CdcPositionExpiredError && from === 'earliest' && ++expired < EARLIEST_ATTEMPTS) continue;
        if (deadline === undefined || this.#stop.signal.aborted || !isTransient(error, this.#host.clientClosed())) throw error;
        const delayMs = reconnectDelay(failures++);
        // No time would be left for another attempt after the wait: the caller hears it now.
        if (performance.now() + delayMs >= deadline) throw error;
        // Not `onInterrupted`: a cluster feed that is still opening has no logs to look over yet.
        this.#reportReconnect(error, failures, delayMs);
        await sleep(delayMs, this.#stop.signal);
        if (this.#stop.signal.aborted) throw error;
      }
    }
  }

  /**
   * Opens a dedicated connection, reads the log's identity (`CDC.INFO`) and subscribes: from
   * `start` resolved to an id now (so a reconnect before the first event still resumes exactly
   * where the feed began), or from {@link #next} in the log and epoch it was read in.
   */
  async #connect(start?: 'latest' | 'earliest', deadline?: number): Promise<void> {
    const node = this.#host.node;
    const opened = await untilDeadline(this.#context, deadline).dedicated(node === undefined ? undefined : { node });
    if (this.#stop.signal.aborted) {
      // Opened as the feed stopped: nobody else will close it.
      opened.close().catch(() => {});
      throw abortedBeforeStart(this.#settings.signal);
    }
    // The connection outlives the setup: its polls run under the client's deadline again, not what was left of the setup's.
    const connection = deadline !== undefined && Number.isFinite(deadline) ? opened.withOptions({ timeout: this.#context.callOptions().timeout }) : opened;
    this.#connection = connection;
    let info: CdcLogInfo | undefined;
    try {
      info = await untilDeadline(connection, deadline).call(cdcInfoCommand);
      this.#withNext = info.logId !== undefined;
      if (start !== undefined) {
        this.#next = start === 'latest' ? info.lastId + 1 : Math.max(1, info.firstId);
        this.#logId = info.logId;
        this.#epoch = info.epoch;
      }
      const { pattern, events } = this.#settings;
      const log = this.#logId !== undefined && this.#epoch !== undefined && info.logId !== undefined ? { logId: this.#logId, epoch: this.#epoch } : undefined;
      try {
        this.#subscription = await untilDeadline(connection, deadline).call(cdcSubscribeCommand, pattern, { events, from: this.#next, log });
      } catch (error) {
        const keptUpTo = rolledBackAfter(error);
        // A failover rolled back only events this feed scanned past without handing over (other
        // keys', or none at all): nothing it delivered is lost, so it goes on from the new epoch.
        const delivered = this.#host.lastHanded?.() ?? this.#lastHanded;
        if (keptUpTo === undefined || log === undefined || delivered > keptUpTo || info.epoch === undefined) throw error;
        this.#rollBack(keptUpTo);
        this.#subscription = await untilDeadline(connection, deadline).call(cdcSubscribeCommand, pattern, { events, from: this.#next, log: { logId: log.logId, epoch: info.epoch } });
      }
    } catch (error) {
      this.#dropConnection();
      throw toCdcError(error, { logId: this.#logId, next: this.#next, lastHanded: this.#host.lastHanded?.() ?? this.#lastHanded });
    }
    // The server accepted the position in this log: it stands in the log's current epoch now.
    if (info.logId !== undefined) {
      this.#logId = info.logId;
      this.#epoch = info.epoch;
    }
  }

  /**
   * A failover dropped the events after `keptUpTo`, none of which the caller had: forget those
   * fetched (their ids now name other events) and read on from there, in the new epoch.
   */
  #rollBack(keptUpTo: number): void {
    this.#next = keptUpTo + 1;
    const kept = this.#buffer.slice(this.#head).filter((event) => (event as ChangeEvent<Value>).id <= keptUpTo);
    this.#buffer = kept;
    this.#head = 0;
    this.#lastHanded = Math.min(this.#lastHanded, keptUpTo);
    this.#rollbacks = { count: this.#rollbacks.count + 1, keptUpTo };
  }

  /** How many rollbacks this feed went through, and the last id the latest one kept. */
  get rollbacks(): { readonly count: number; readonly keptUpTo: number } {
    return this.#rollbacks;
  }

  #rollbacks = { count: 0, keptUpTo: 0 };

  /** The poller: runs until the feed stops or fails. */
  async #run(): Promise<void> {
    const { batchSize, blockMs, bufferSize, binary } = this.#settings;
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        if (this.#connection === undefined) await this.#connect();
        if (this.#buffered >= bufferSize) {
          await this.#waitForRoom();
          continue;
        }
        const connection = this.#connection as DedicatedContext;
        const subscription = this.#subscription as number;
        if (this.#drainTo === null) {
          // Asked between polls, on this connection: the node is no longer routed to by id.
          this.#drainTo = (await connection.call(cdcInfoCommand)).lastId;
          this.#drainMark = this.#pollsStarted;
        }
        if (this.#drained) {
          this.#finish();
          return;
        }
        // The client's deadline, extended by BLOCK, bounds the poll: a silent connection is noticed.
        const options = { count: Math.min(batchSize, bufferSize - this.#buffered), blockMs };
        const pollNumber = ++this.#pollsStarted;
        let fetched: number;
        if (this.#withNext) {
          // A single server's poll is awaited directly: no wrapper on the path every event takes.
          const polled =
            this.#host.node === undefined
              ? await (binary ? connection.call(cdcPollWithNextBinaryCommand, subscription, options) : connection.call(cdcPollWithNextCommand, subscription, options))
              : await this.#clusterPoll(connection, subscription, options);
          if (polled === 'epoch-moved') {
            // Resubscribing in the epoch the fetched events were read in lets the server say
            // whether a failover rolled any of them back (PROTOCOL.md §8.1).
            this.#dropConnection();
            continue;
          }
          this.#accept(polled.events as ChangeEvent<Value>[]);
          // Past every event scanned, matching or not: a quiet pattern keeps its place in the log.
          if (polled.next > this.#next) this.#next = polled.next;
          fetched = polled.events.length;
        } else {
          const events = binary ? await connection.call(cdcPollBinaryCommand, subscription, options) : await connection.call(cdcPollCommand, subscription, options);
          this.#accept(events as ChangeEvent<Value>[]);
          fetched = events.length;
        }
        failures = 0;
        if (fetched < options.count) this.#lastShortPoll = pollNumber;
        if (fetched <= ANSWERED_EARLY) {
          // The blocked poll was answered by the first write of a run (an in-process server
          // answers as soon as one write lands, while the others are still being applied in this
          // process): polling again at once would fetch the rest one poll per write. Letting the
          // work already queued here run first costs at most one turn of the event loop, and the
          // next poll fetches the rest of the run in one reply. A poll that brought more came back
          // with whole runs of writes: the next one goes at once, so that the server holds it
          // ready for the next run (waiting a turn there measured 5–20 % fewer events/s over TCP).
          await setImmediate();
        }
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        if (isTransient(error, this.#host.clientClosed())) {
          // A drained log's node may be gone already: nothing more is needed from it.
          if (this.#drained) {
            this.#finish();
            return;
          }
          this.#dropConnection();
          this.#host.onInterrupted?.();
          const delayMs = reconnectDelay(failures++);
          this.#reportReconnect(error, failures, delayMs);
          await sleep(delayMs, this.#stop.signal);
          continue;
        }
        this.#fail(toCdcError(error));
        return;
      }
    }
  }

  /**
   * One `CDC.POLL … WITHNEXT` on a cluster: `CDC.INFO` goes in the same pipeline (answered once
   * the poll is, so one round trip): a node that became a replica keeps serving its new primary's
   * log under a new epoch, and the epoch a position is saved in must follow what was read, or a
   * later resume would take a past failover for a rollback. When the epoch moved past an event
   * this poll or an earlier one fetched (a forced failover may have dropped it), the batch is
   * not taken: `'epoch-moved'`. A single server's epoch cannot move under an open connection (its
   * log only changes by a restart, which ends the subscription): it polls alone.
   */
  async #clusterPoll(connection: DedicatedContext, subscription: number, options: CdcPollCommandOptions): Promise<CdcPollBatch<string | Buffer> | 'epoch-moved'> {
    const binary = this.#settings.binary;
    const poll = binary ? prepareCommand(cdcPollWithNextBinaryCommand, subscription, options) : prepareCommand(cdcPollWithNextCommand, subscription, options);
    const [polled, asked] = await connection.batch<CdcPollBatch<string | Buffer> | CdcLogInfo>([poll, prepareCommand(cdcInfoCommand)]);
    if (polled === undefined || !polled.ok) throw polled?.error ?? new FerriteProtocolError('CDC.POLL: no reply in its pipeline');
    if (asked === undefined || !asked.ok) throw asked?.error ?? new FerriteProtocolError('CDC.INFO: no reply in its pipeline');
    const batch = polled.value as CdcPollBatch<string | Buffer>;
    const info = asked.value as CdcLogInfo;
    if (info.logId !== this.#logId || info.epoch === undefined || info.epoch === this.#epoch) return batch;
    // Nothing fetched or scanned reaches the new epoch's first id: nothing this feed read can have been rolled back.
    const lastFetched = Math.max(this.#next - 1, batch.events.at(-1)?.id ?? 0, batch.next - 1);
    const oneStep = this.#epoch !== undefined && info.epoch === this.#epoch + 1;
    if (!oneStep || info.epochStartId === undefined || lastFetched >= info.epochStartId) return 'epoch-moved';
    this.#epoch = info.epoch;
    return batch;
  }

  /** Tells `onReconnect` that the feed is about to connect again, after `delayMs`. */
  #reportReconnect(error: unknown, attempt: number, delayMs: number): void {
    const node = this.#host.node;
    const log = this.#logId;
    this.#settings.onReconnect?.({ error, attempt, delayMs, ...(node === undefined ? {} : { node }), ...(log === undefined ? {} : { log }) });
  }

  #accept(events: readonly ChangeEvent<Value>[]): void {
    const logId = this.#logId;
    for (const event of events) {
      // A resubscription starts at #next, so this only drops what a misbehaving server repeats.
      if (event.id < this.#next) continue;
      this.#next = event.id + 1;
      // The event is the feed's own (decoded for it): saying which log it came from costs no copy.
      if (logId !== undefined) (event as { log?: string }).log = logId;
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        this.#lastHanded = event.id;
        waiter.resolve({ done: false, value: event });
      }
      else this.#buffer.push(event);
    }
  }

  #waitForRoom(): Promise<void> {
    const signal = this.#stop.signal;
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.#roomAvailable = undefined;
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#roomAvailable = wake;
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** Forgets the current connection and closes it in the background (its subscription ends with it). */
  #dropConnection(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#subscription = undefined;
    if (connection !== undefined) connection.close().catch(() => {});
  }

  /** Closes the connection, which ends the subscription on the server; waits at most {@link RELEASE_BOUND_MS}. */
  async #release(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#subscription = undefined;
    if (connection === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connection.close().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_BOUND_MS)))]);
    clearTimeout(timer);
  }
}
