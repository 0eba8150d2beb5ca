import { isConnectionError, isReplyError, isTimeoutError, type DedicatedContext, type PluginContext } from '@ferrite/core';
import { withDeadline } from '@ferrite/core/transport';
import { reconnectDelay, sleep } from './backoff.js';
import { cdcInfoCommand } from './commands/info.js';
import { cdcPollBinaryCommand, cdcPollCommand } from './commands/poll.js';
import { cdcSubscribeCommand } from './commands/subscribe.js';
import { cdcUnsubscribeCommand } from './commands/unsubscribe.js';
import { CdcPositionExpiredError, toCdcError } from './errors.js';
import { encodeCheckpoint, type ChangeFeedCheckpoint } from './checkpoint.js';
import { abortedBeforeStart, FeedBase } from './feed-base.js';
import type { ChangeEvent } from './types.js';

/** A start with any checkpoint already resolved to this server's next id. */
export type FeedStart = number | 'latest' | 'earliest';

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
}

/** What a feed needs from the client it belongs to. */
export interface FeedHost {
  readonly context: PluginContext;
  /**
   * On a cluster: the node (an id from `context.nodes()`) whose change log this feed follows; its
   * connection and `CDC.INFO` go there. Undefined on a single node.
   */
  readonly node?: string;
  /** The client's per-call deadline in ms (`Infinity`: none). */
  readonly timeoutMs: number;
  /** Called once when the feed has ended, however it ended. */
  readonly onEnded: (feed: { close(): Promise<void> }) => void;
}

/**
 * How long `close()` waits for the server to confirm the unsubscribe and the connection to
 * close. The connection is closed either way; this only bounds how long the caller waits, so that
 * cancellation settles within 100 ms even against a server that has stopped answering.
 */
const RELEASE_BOUND_MS = 60;
/** How often `earliest` retries when the oldest event is discarded between CDC.INFO and CDC.SUBSCRIBE. */
const EARLIEST_ATTEMPTS = 5;
/** Compact the buffer once this many taken slots sit at its front. */
const COMPACT_AFTER = 1024;

/** Thrown inside the feed when it has been stopped; never reaches the caller. */
const STOPPED = Symbol('stopped');

type Waiter<Value extends string | Buffer> = {
  readonly resolve: (result: IteratorResult<ChangeEvent<Value>, undefined>) => void;
  readonly reject: (error: unknown) => void;
};

/** A lost connection, a poll past its deadline, or a subscription the server no longer knows: resume elsewhere. */
function isResumable(error: unknown): boolean {
  return isConnectionError(error) || isTimeoutError(error) || isReplyError(error, 'no-such-subscription');
}

function finiteOrUndefined(ms: number): number | undefined {
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * One change feed. Polls on a dedicated connection of its own; on any connection trouble it
 * drops that connection, waits (backoff), opens another and subscribes again from the first event
 * it has not fetched yet. Events fetched but not yet taken wait in a bounded buffer.
 *
 * It follows one server's log, or one cluster node's (`FeedHost.node`); a cluster feed runs one
 * per primary behind a merging iterator (`ClusterFeed`).
 */
export class Feed<Value extends string | Buffer> extends FeedBase<Value> {
  readonly #host: FeedHost;
  readonly #settings: FeedSettings;
  /** Aborted when the feed stops, for whatever reason: interrupts waits and in-flight calls. */
  readonly #stop = new AbortController();
  readonly #stopped: Promise<never>;
  /** The first event id not fetched yet: where a new subscription starts. */
  #next = 1;
  /** Id of the last event handed to the caller. */
  #position: number | undefined;
  #buffer: Array<ChangeEvent<Value> | undefined> = [];
  #head = 0;
  readonly #waiters: Waiter<Value>[] = [];
  /** Set when the feed fails; thrown to the caller once the buffer is drained. */
  #failure: { readonly error: unknown } | undefined;
  #ended = false;
  #connection: DedicatedContext | undefined;
  #subscription: number | undefined;
  #polling = false;
  /** Wakes the poller that stopped because the buffer was full. */
  #roomAvailable: (() => void) | undefined;

  private constructor(host: FeedHost, settings: FeedSettings) {
    super(settings.signal);
    this.#host = host;
    this.#settings = settings;
    this.#stopped = new Promise<never>((_, reject) => {
      this.#stop.signal.addEventListener('abort', () => reject(STOPPED), { once: true });
    });
    // Races against it are the only readers; it must not count as unhandled on its own.
    this.#stopped.catch(() => {});
  }

  /** Subscribes, and resolves once the server subscription is in place and the poller runs. */
  static async open<Value extends string | Buffer>(host: FeedHost, settings: FeedSettings): Promise<Feed<Value>> {
    const feed = new Feed<Value>(host, settings);
    feed.followSignal();
    try {
      await feed.#start();
    } catch (error) {
      await feed.close();
      if (error === STOPPED) throw abortedBeforeStart(settings.signal);
      throw toCdcError(error);
    }
    void feed.#run();
    return feed;
  }

  get position(): number | undefined {
    return this.#position;
  }

  get checkpoint(): ChangeFeedCheckpoint {
    return encodeCheckpoint({ kind: 'single', next: this.resumeId });
  }

  /** The first event id not handed to the caller yet: where a resumed subscription starts. */
  get resumeId(): number {
    return this.#position === undefined ? this.#startedAt : this.#position + 1;
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

  #pollsStarted = 0;
  #lastShortPoll = 0;

  async lag(): Promise<number> {
    const node = this.#host.node;
    const info = await (node === undefined ? this.#host.context : this.#host.context.onNode(node)).call(cdcInfoCommand);
    const handedUpTo = this.#position ?? this.#startedAt - 1;
    return Math.max(0, Math.min(info.lastId - handedUpTo, info.retained));
  }

  /** The first id the feed was to deliver, for `lag()` before any event. */
  #startedAt = 1;

  next(): Promise<IteratorResult<ChangeEvent<Value>, undefined>> {
    const event = this.#take();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#failure !== undefined) {
      const { error } = this.#failure;
      this.#failure = undefined;
      this.#ended = true;
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

  /** Stops polling and hands `error` to the caller after the events already fetched. */
  #fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stop.abort();
    this.unfollowSignal();
    this.#host.onEnded(this);
    void this.#release();
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.reject(error);
    else this.#failure = { error };
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
    this.#position = event.id;
    this.#roomAvailable?.();
    return event;
  }

  get #buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** Waits for `work`, unless the feed stops first (then throws {@link STOPPED}). */
  #guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.#stopped]);
  }

  async #start(): Promise<void> {
    const { from } = this.#settings;
    if (typeof from === 'number') {
      this.#next = from;
      this.#startedAt = from;
      await this.#connect();
      return;
    }
    const timeout = finiteOrUndefined(this.#host.timeoutMs);
    for (let attempt = 1; ; attempt++) {
      if (this.#connection === undefined) await this.#openConnection();
      const connection = this.#connection as DedicatedContext;
      // Resolving the start to an id now means a reconnect before the first event still resumes
      // exactly where the feed began, instead of at a later "latest".
      const info = await this.#guard(withDeadline(connection.call(cdcInfoCommand), 'CDC.INFO', timeout));
      this.#next = from === 'latest' ? info.lastId + 1 : Math.max(1, info.firstId);
      this.#startedAt = this.#next;
      try {
        await this.#subscribe();
        return;
      } catch (error) {
        // `earliest` only: the oldest event was discarded in between; ask again.
        if (!(toCdcError(error) instanceof CdcPositionExpiredError) || attempt >= EARLIEST_ATTEMPTS) throw error;
      }
    }
  }

  /** Opens a dedicated connection and subscribes from {@link #next}. */
  async #connect(): Promise<void> {
    await this.#openConnection();
    await this.#subscribe();
  }

  async #openConnection(): Promise<void> {
    const node = this.#host.node;
    const opening = this.#host.context.dedicated(node === undefined ? undefined : { node });
    let connection: DedicatedContext;
    try {
      // A half-open server can hold the handshake forever: bound it like any call.
      connection = await this.#guard(withDeadline(opening, 'CONNECT', finiteOrUndefined(this.#host.timeoutMs)));
    } catch (error) {
      // Whatever arrives late is nobody's: close it.
      opening.then((late) => late.close(), () => {}).catch(() => {});
      throw error;
    }
    if (this.#stop.signal.aborted) {
      await connection.close().catch(() => {});
      throw STOPPED;
    }
    this.#connection = connection;
  }

  async #subscribe(): Promise<void> {
    const connection = this.#connection as DedicatedContext;
    const { pattern, events } = this.#settings;
    try {
      this.#subscription = await this.#guard(
        withDeadline(
          connection.call(cdcSubscribeCommand, pattern, { events, from: this.#next }),
          'CDC.SUBSCRIBE',
          finiteOrUndefined(this.#host.timeoutMs),
        ),
      );
    } catch (error) {
      this.#dropConnection();
      throw error;
    }
  }

  /** The poller: runs until the feed stops or fails. */
  async #run(): Promise<void> {
    const { batchSize, blockMs, bufferSize, binary } = this.#settings;
    const pollDeadline = finiteOrUndefined(blockMs + this.#host.timeoutMs);
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
        const options = { count: Math.min(batchSize, bufferSize - this.#buffered), blockMs };
        this.#polling = true;
        const pollNumber = ++this.#pollsStarted;
        let events: ChangeEvent<string | Buffer>[];
        try {
          const poll: Promise<ChangeEvent<string | Buffer>[]> = binary
            ? connection.call(cdcPollBinaryCommand, subscription, options)
            : connection.call(cdcPollCommand, subscription, options);
          events = await this.#guard(withDeadline(poll, 'CDC.POLL', pollDeadline));
        } finally {
          this.#polling = false;
        }
        failures = 0;
        this.#accept(events as ChangeEvent<Value>[]);
        if (events.length < options.count) this.#lastShortPoll = pollNumber;
      } catch (error) {
        if (error === STOPPED || this.#stop.signal.aborted) return;
        if (isResumable(error)) {
          this.#dropConnection();
          await sleep(reconnectDelay(failures++), this.#stop.signal);
          continue;
        }
        this.#fail(toCdcError(error));
        return;
      }
    }
  }

  #accept(events: readonly ChangeEvent<Value>[]): void {
    for (const event of events) {
      // A resubscription starts at #next, so this only drops what a misbehaving server repeats.
      if (event.id < this.#next) continue;
      this.#next = event.id + 1;
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        this.#position = event.id;
        waiter.resolve({ done: false, value: event });
      } else {
        this.#buffer.push(event);
      }
    }
  }

  #waitForRoom(): Promise<void> {
    return this.#guard(
      new Promise<void>((resolve) => {
        this.#roomAvailable = () => {
          this.#roomAvailable = undefined;
          resolve();
        };
      }),
    );
  }

  /** Forgets the current connection and closes it in the background (its subscription ends with it). */
  #dropConnection(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#subscription = undefined;
    if (connection !== undefined) connection.close().catch(() => {});
  }

  /**
   * Unsubscribes (unless a poll is in flight: the command would queue behind its BLOCK) and
   * closes the connection, which ends the subscription on the server in every case. Waits at most
   * {@link RELEASE_BOUND_MS}.
   */
  async #release(): Promise<void> {
    const connection = this.#connection;
    const subscription = this.#subscription;
    const polling = this.#polling;
    this.#connection = undefined;
    this.#subscription = undefined;
    if (connection === undefined) return;
    const releasing = (async () => {
      if (!polling && subscription !== undefined) {
        await withDeadline(connection.call(cdcUnsubscribeCommand, subscription), 'CDC.UNSUBSCRIBE', RELEASE_BOUND_MS).catch(() => {});
      }
      await connection.close();
    })().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([releasing, new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_BOUND_MS)))]);
    clearTimeout(timer);
  }
}
