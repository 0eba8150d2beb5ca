import { readArray, readInteger, readText, slotOf, type PluginContext, type Reply } from '@ferrite/core';
import { encodeCheckpoint, type ChangeFeedCheckpoint, type LogPosition } from './checkpoint.js';
import { cdcInfoCommand } from './commands/info.js';
import { CdcPositionExpiredError, CdcPositionLostError, toCdcError } from './errors.js';
import { Feed, type FeedSettings, type FeedStart } from './feed.js';
import { abortedBeforeStart, FeedBase } from './feed-base.js';
import type { ChangeEvent } from './types.js';

/** What a cluster feed needs from the client it belongs to. */
export interface ClusterFeedHost {
  readonly context: PluginContext;
  /** The client's per-call deadline in ms (`Infinity`: none). */
  readonly timeoutMs: number;
  /** Whether the client has closed. */
  readonly clientClosed: () => boolean;
  /** Called once when the feed has ended, however it ended. */
  readonly onEnded: (feed: { close(): Promise<void> }) => void;
  /** How often the primaries are listed again, to follow nodes that join, leave or fail over. */
  readonly refreshMs: number;
}

/** Where each log's feed starts: the same keyword for every log, or per log from a checkpoint. */
export type ClusterStart = 'latest' | 'earliest' | { readonly logs: readonly LogPosition[] };

/** Hash slots of a Redis Cluster (PROTOCOL.md §8). */
const CLUSTER_SLOTS = 16_384;
/** How often a consumer waiting on a slot-move barrier looks again. */
const BARRIER_RECHECK_MS = 10;

/** One change log's feed (on the primary serving it now), and its event next in line for the caller. */
interface Member<Value extends string | Buffer> {
  /** The log's id; for a server older than v1.2, its node's id. */
  readonly key: string;
  /** The primary serving the log now. */
  node: string;
  feed: Feed<Value>;
  /** The log's next event, taken from its feed, not yet handed to the caller. */
  head: ChangeEvent<Value> | undefined;
  /** The feed's rollback count when {@link head} was taken: a later rollback may have dropped it. */
  headRollbacks: number;
  pulling: boolean;
  /** The id of the last event of this log handed to the caller (0: none). */
  lastHanded: number;
  /** Since when (performance clock) no primary serves this log; undefined while one does. */
  unservedSince: number | undefined;
}

/**
 * "Every event log `from` held up to `lastId` has been handed over": how per-key order is kept
 * when a slot moves. `pollMark` is the log feed's poll count once `lastId` was known; a shorter
 * than full poll after it proves the feed has fetched everything up to `lastId`.
 */
interface Barrier {
  readonly from: string;
  lastId: number | undefined;
  pollMark: number;
  /** A `CDC.INFO` for `lastId` is on its way. */
  asking: boolean;
  /** After this (ms, performance clock) the barrier lets events through anyway, so crossing moves cannot stall a feed for good. */
  readonly giveUpAt: number;
}

/**
 * A change feed over every primary of a cluster: one {@link Feed} per change log (each on a
 * dedicated connection to the primary serving it, with its own position), merged behind one
 * iterator. Logs are named by their `log_id` (PROTOCOL.md §8.1), which a failover keeps: when a
 * replica takes over, the log's feed moves to it and resumes from the same place, in the log's
 * epoch, so that a rollback is an error and never a silent skip or repeat.
 *
 * Order: each log's events in its order. Per key across a slot move: when the first event of a
 * slot comes from another log than the slot's previous events, it waits until the previous log's
 * feed has handed over everything that log held before (its `CDC.INFO` last id, read then).
 * Otherwise logs are interleaved by timestamp among the events at hand.
 *
 * Topology: the primaries are listed again every `refreshMs` (and at once when a log's feed loses
 * its connection). A log new to the feed is read from id 1, so the events of the slots its node
 * took over are not missed (`CdcPositionExpiredError` if that node no longer keeps id 1). A log
 * no primary serves any more is drained over its feed's own connection until its last id; if that
 * cannot be done within the departure bound, the feed fails with `CdcPositionLostError`.
 */
export class ClusterFeed<Value extends string | Buffer> extends FeedBase<Value> {
  readonly #host: ClusterFeedHost;
  readonly #settings: FeedSettings;
  /** By log key. */
  readonly #members = new Map<string, Member<Value>>();
  /**
   * Logs drained after no primary served them, and where they stood: if one is served again
   * (a node listed again after a moment out of the transport's slot map), it resumes there.
   */
  readonly #drainedLogs = new Map<string, LogPosition>();
  /** The log each primary serves (asked once per node while it stays a primary). */
  readonly #logOf = new Map<string, string>();
  /**
   * Per slot: the log whose events of that slot are due now. Starts as the slot map when the
   * feed opened; then the log whose event of that slot was handed over last.
   */
  readonly #slotLog = new Array<string | undefined>(CLUSTER_SLOTS);
  /** Pending slot-move barriers, by `slot`. */
  readonly #barriers = new Map<number, Barrier>();
  #wake: (() => void) | undefined;
  #failure: { readonly error: unknown } | undefined;
  #ended = false;
  #refresh: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  /** Serialises `next()` calls: one caller picks at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(host: ClusterFeedHost, settings: FeedSettings) {
    super(settings.signal);
    this.#host = host;
    this.#settings = settings;
  }

  /** Subscribes on every primary; resolves once every log's subscription is in place. */
  static async open<Value extends string | Buffer>(host: ClusterFeedHost, settings: FeedSettings, start: ClusterStart): Promise<ClusterFeed<Value>> {
    const feed = new ClusterFeed<Value>(host, settings);
    const signal = settings.signal;
    feed.followSignal();
    try {
      const nodes = await host.context.nodes();
      await Promise.all(nodes.map((node) => feed.#learnLog(node.id)));
      await feed.#readSlotMap(nodes[0]?.id);
      const positions = typeof start === 'object' ? start.logs : [];
      const unserved = positions.filter((position) => !nodes.some((node) => feed.#matches(position, node.id)));
      const gone = unserved[0];
      if (gone !== undefined) {
        throw new CdcPositionLostError({ reason: 'node-departed', logId: gone.logId ?? gone.node, firstLostId: gone.next, lastLostId: undefined });
      }
      await Promise.all(
        nodes.map((node) => {
          const saved = positions.find((position) => feed.#matches(position, node.id));
          return feed.#follow(node.id, typeof start === 'object' ? (saved ?? feed.#fromFirst(node.id)) : start);
        }),
      );
    } catch (error) {
      const stopped = feed.#ended;
      await feed.close();
      if (stopped || signal?.aborted) throw abortedBeforeStart(signal);
      throw toCdcError(error);
    }
    if (feed.#ended) throw abortedBeforeStart(signal);
    feed.#refresh = setInterval(() => void feed.#refreshNodes(), host.refreshMs);
    feed.#refresh.unref();
    return feed;
  }

  get checkpoint(): ChangeFeedCheckpoint {
    return encodeCheckpoint({ logs: [...this.#members.values()].map((member) => this.#positionOf(member)) });
  }

  async lag(): Promise<number> {
    const lags = await Promise.all([...this.#members.values()].map((member) => member.feed.lag()));
    // Events taken from a log's feed but not yet handed over count too.
    return lags.reduce((sum, lag) => sum + lag, 0) + [...this.#members.values()].filter((member) => member.head !== undefined).length;
  }

  next(): Promise<IteratorResult<ChangeEvent<Value>, undefined>> {
    const turn = this.#queue.then(() => this.#nextInTurn());
    this.#queue = turn.catch(() => {});
    return turn;
  }

  protected async shutdown(): Promise<void> {
    this.#ended = true;
    clearInterval(this.#refresh);
    this.unfollowSignal();
    this.#host.onEnded(this);
    this.#poke();
    const members = [...this.#members.values()];
    this.#members.clear();
    await Promise.allSettled(members.map((member) => member.feed.close()));
  }

  #fail(error: unknown): void {
    if (this.#ended || this.#failure !== undefined) return;
    this.#failure = { error };
    void this.close();
  }

  /** Wakes a `next()` waiting for an event. */
  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Where `member`'s log stands for the caller: its head, else its feed's resume point. */
  #positionOf(member: Member<Value>): LogPosition {
    const position = member.feed.logPosition;
    return {
      logId: position.logId,
      epoch: position.epoch,
      // A log without an id (a server older than v1.2) is named by its node.
      node: position.logId === undefined ? member.node : undefined,
      next: member.head?.id ?? position.next,
      lastHanded: member.lastHanded,
    };
  }

  /** Whether a saved place names the log node `nodeId` serves. */
  #matches(position: LogPosition, nodeId: string): boolean {
    if (position.logId !== undefined) return this.#logOf.get(nodeId) === position.logId;
    return position.node === nodeId;
  }

  /** A log new to this feed: read from its first id, so the server reports a gap as expired. */
  #fromFirst(nodeId: string): LogPosition {
    return { logId: undefined, epoch: undefined, node: nodeId, next: 1, lastHanded: 0 };
  }

  async #learnLog(nodeId: string): Promise<string> {
    let key = this.#logOf.get(nodeId);
    if (key === undefined) {
      const info = await this.#host.context.onNode(nodeId).call(cdcInfoCommand);
      key = info.logId ?? nodeId;
      this.#logOf.set(nodeId, key);
    }
    return key;
  }

  async #nextInTurn(): Promise<IteratorResult<ChangeEvent<Value>, undefined>> {
    for (;;) {
      if (this.#failure !== undefined) {
        const { error } = this.#failure;
        this.#failure = undefined;
        throw error;
      }
      if (this.#ended) return { done: true, value: undefined };
      const { member, waiting } = this.#pick();
      if (member !== undefined) return { done: false, value: this.#handOver(member) };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        // A barrier clears without any event arriving (a poll that came back short): look again soon.
        if (waiting) setTimeout(() => this.#poke(), BARRIER_RECHECK_MS).unref();
      });
    }
  }

  /** The member whose head goes next, if any may go now; `waiting` when one is held by a barrier. */
  #pick(): { member: Member<Value> | undefined; waiting: boolean } {
    let best: Member<Value> | undefined;
    let waiting = false;
    for (const member of this.#members.values()) {
      const head = member.head;
      if (head === undefined) continue;
      const { count, keptUpTo } = member.feed.rollbacks;
      if (count !== member.headRollbacks && head.id > keptUpTo) {
        // A failover rolled it back before it was handed over: it never happened.
        member.head = undefined;
        this.#pull(member);
        continue;
      }
      if (!this.#mayGo(member.key, head)) {
        waiting = true;
        continue;
      }
      if (best === undefined || head.timestamp < (best.head as ChangeEvent<Value>).timestamp) best = member;
    }
    return { member: best, waiting };
  }

  /** Whether `event` of log `key` keeps its key's order: false while an earlier log of its slot may still hold older events. */
  #mayGo(key: string, event: ChangeEvent<Value>): boolean {
    if (event.key === '') return true;
    const slot = slotOf(event.key);
    const previous = this.#slotLog[slot];
    if (previous === undefined || previous === key) return true;
    const from = this.#members.get(previous);
    // A log no longer followed has handed over all it could.
    if (from === undefined) return true;
    let barrier = this.#barriers.get(slot);
    if (barrier === undefined || barrier.from !== previous) {
      barrier = this.#startBarrier(from);
      this.#barriers.set(slot, barrier);
    }
    if (barrier.lastId === undefined && !barrier.asking) this.#askLastId(from, barrier);
    if (!this.#drained(from, barrier)) return false;
    this.#barriers.delete(slot);
    return true;
  }

  #startBarrier(from: Member<Value>): Barrier {
    const barrier: Barrier = {
      from: from.key,
      lastId: undefined,
      pollMark: Number.POSITIVE_INFINITY,
      asking: false,
      giveUpAt: performance.now() + this.#boundMs,
    };
    this.#askLastId(from, barrier);
    return barrier;
  }

  /**
   * The longest a slot's events wait for its previous log, and a log may go unserved before it
   * counts as departed: long enough to ride out a lost connection (a dead poll is noticed after
   * blockMs plus the deadline, then reconnected) and a failover, bounded so that two slots moving
   * in opposite directions at once cannot stall the feed for good.
   */
  get #boundMs(): number {
    const timeout = Number.isFinite(this.#host.timeoutMs) ? this.#host.timeoutMs : 10_000;
    return Math.max(10_000, 3 * (this.#settings.blockMs + timeout));
  }

  /** Reads the previous log's last event id; asked again at the next look if its node does not answer. */
  #askLastId(from: Member<Value>, barrier: Barrier): void {
    barrier.asking = true;
    this.#host.context
      .onNode(from.node)
      .call(cdcInfoCommand)
      .then(
        (info) => {
          barrier.lastId = info.lastId;
          barrier.pollMark = from.feed.pollsStarted;
        },
        () => {},
      )
      .finally(() => {
        barrier.asking = false;
        this.#poke();
      });
  }

  /** Whether `member` has handed over every event its log held up to the barrier's last id. */
  #drained(member: Member<Value>, barrier: Barrier): boolean {
    if (performance.now() >= barrier.giveUpAt) return true;
    const lastId = barrier.lastId;
    if (lastId === undefined) return false;
    if (member.lastHanded >= lastId) return true;
    if (member.head !== undefined) return member.head.id > lastId;
    return member.feed.resumeId > lastId || (member.feed.bufferedCount === 0 && member.feed.lastShortPoll > barrier.pollMark);
  }

  #handOver(member: Member<Value>): ChangeEvent<Value> {
    const event = member.head as ChangeEvent<Value>;
    member.head = undefined;
    member.lastHanded = event.id;
    if (event.key !== '') this.#slotLog[slotOf(event.key)] = member.key;
    this.#pull(member);
    return { ...event, node: member.node };
  }

  /** Keeps one `next()` outstanding on a member's feed while its head is empty. */
  #pull(member: Member<Value>): void {
    if (member.pulling || member.head !== undefined || this.#ended) return;
    member.pulling = true;
    const feed = member.feed;
    feed.next().then(
      (result) => {
        // The log moved to another node meanwhile: this feed's events are not the log's any more.
        if (member.feed !== feed) return;
        member.pulling = false;
        if (result.done) {
          // Drained after its node left: everything it logged has been handed over.
          if (this.#members.get(member.key) === member) {
            this.#drainedLogs.set(member.key, { ...this.#positionOf(member), node: undefined });
            this.#members.delete(member.key);
            this.#poke();
          }
          return;
        }
        // A log's feed hands each id once; this guards the merge against anything it repeats.
        if (result.value.id <= member.lastHanded) return this.#pull(member);
        member.head = result.value;
        member.headRollbacks = feed.rollbacks.count;
        this.#poke();
      },
      (error: unknown) => {
        if (member.feed !== feed) return;
        member.pulling = false;
        this.#fail(toCdcError(error));
      },
    );
  }

  /**
   * Which node serves each slot as the feed opens (`CLUSTER SLOTS`): the first event of a slot
   * from another log then waits for this one's, even if none of its events was handed over yet.
   */
  async #readSlotMap(nodeId: string | undefined): Promise<void> {
    if (nodeId === undefined) return;
    let reply: Reply;
    try {
      reply = await this.#host.context.onNode(nodeId).send('CLUSTER', 'SLOTS');
    } catch {
      // Without it, a slot's owner is learnt from the first event handed over.
      return;
    }
    for (const range of readArray(reply)) {
      const [start, end, primary] = readArray(range);
      const id = primary === undefined ? undefined : readArray(primary)[2];
      if (start === undefined || end === undefined || id === undefined) continue;
      const owner = this.#logOf.get(readText(id));
      if (owner === undefined) continue;
      for (let slot = readInteger(start); slot <= readInteger(end); slot++) this.#slotLog[slot] = owner;
    }
  }

  #openLogFeed(nodeId: string, from: FeedStart, lastHanded: () => number): Promise<Feed<Value>> {
    return Feed.open<Value>(
      {
        context: this.#host.context,
        node: nodeId,
        clientClosed: this.#host.clientClosed,
        onEnded: () => {},
        // A lost connection may be a failover or a departure: look at the primaries now.
        onInterrupted: () => void this.#refreshNodes(),
        lastHanded,
      },
      { ...this.#settings, from, signal: undefined },
    );
  }

  /** Starts following the log node `nodeId` serves, from `from`. */
  async #follow(nodeId: string, from: FeedStart): Promise<void> {
    const key = await this.#learnLog(nodeId);
    const lastHanded = typeof from === 'object' ? from.lastHanded : 0;
    let member: Member<Value> | undefined;
    const feed = await this.#openLogFeed(nodeId, from, () => member?.lastHanded ?? lastHanded);
    if (this.#ended) {
      await feed.close();
      return;
    }
    member = { key, node: nodeId, feed, head: undefined, headRollbacks: 0, pulling: false, lastHanded, unservedSince: undefined };
    this.#members.set(key, member);
    this.#pull(member);
  }

  /**
   * A failover: another primary serves `member`'s log now. Its feed moves there and resumes
   * where the caller stands; whatever it had fetched and not handed over is fetched again from the
   * new primary, which may have lost some of it (those events were rolled back).
   */
  async #move(member: Member<Value>, nodeId: string): Promise<void> {
    const from = this.#positionOf(member);
    const old = member.feed;
    const feed = await this.#openLogFeed(nodeId, { ...from, node: undefined }, () => member.lastHanded);
    if (this.#ended) {
      await feed.close();
      return;
    }
    member.feed = feed;
    member.node = nodeId;
    member.head = undefined;
    member.pulling = false;
    member.unservedSince = undefined;
    void old.close();
    this.#pull(member);
    this.#poke();
  }

  /** Lists the primaries again: follows new logs, moves logs that failed over, drains logs no primary serves. */
  #refreshNodes(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#refreshing ??= this.#refreshOnce().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<void> {
    try {
      const primaries = (await this.#host.context.nodes()).map((node) => node.id);
      for (const nodeId of this.#logOf.keys()) if (!primaries.includes(nodeId)) this.#logOf.delete(nodeId);
      const servedBy = new Map<string, string>();
      for (const nodeId of primaries) servedBy.set(await this.#learnLog(nodeId), nodeId);
      for (const [key, nodeId] of servedBy) {
        if (this.#ended) return;
        const member = this.#members.get(key);
        // A log never seen: its node joined after this feed started (or its checkpoint was saved).
        if (member === undefined) await this.#follow(nodeId, this.#drainedLogs.get(key) ?? this.#fromFirst(nodeId));
        else if (member.node !== nodeId) await this.#move(member, nodeId);
        else member.unservedSince = undefined;
      }
      const now = performance.now();
      for (const member of this.#members.values()) {
        if (servedBy.has(member.key)) continue;
        member.unservedSince ??= now;
        member.feed.drain();
        if (now - member.unservedSince >= this.#boundMs) member.feed.departed();
      }
    } catch (error) {
      // Listing nodes or opening a feed failed: try again at the next refresh, unless a log can no
      // longer be read from where this feed stands.
      const typed = toCdcError(error);
      if (typed instanceof CdcPositionExpiredError || typed instanceof CdcPositionLostError) this.#fail(typed);
    }
  }
}
