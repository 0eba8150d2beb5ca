import { setMaxListeners } from 'node:events';
import { prepareCommand, slotOf, type PluginContext } from '@ferrite/core';
import { encodeCheckpoint, type ChangeFeedCheckpoint, type LogPosition } from './checkpoint.js';
import { clusterSlotsCommand, primaryOf, type SlotRange } from './commands/cluster-slots.js';
import { cdcInfoCommand, type CdcLogInfo } from './commands/info.js';
import { CdcPositionExpiredError, CdcPositionLostError, toCdcError } from './errors.js';
import { Feed, type FeedSettings, type FeedStart } from './feed.js';
import { abortedBeforeStart, FeedBase } from './feed-base.js';
import { SlotOwners } from './slot-owners.js';
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

/** How often a consumer waiting for an older owner of a moving slot looks again. */
const FENCE_RECHECK_MS = 10;

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
  /** When {@link head} was received, counted over every log ({@link Fence.covers}). */
  headSeq: number;
  /** Since when (performance clock) {@link head} waits for an older owner of its slot. */
  heldSince: number | undefined;
  /** The latest answer of this log's primary to "where do you stand?". */
  fence: Fence<Value> | undefined;
  /** A {@link fence} is being asked for. */
  fencing: boolean;
}

/**
 * What a log's primary answered, asked after the events received up to `covers`: every event
 * it had logged by then, among them any older event of those events' keys, has an id up to
 * `lastId`; and the slots it served then (`CLUSTER SLOTS` before `CDC.INFO`, in one pipeline).
 */
interface Fence<Value extends string | Buffer> {
  readonly covers: number;
  readonly lastId: number;
  /** The feed the log was read with, and its poll count, when the answer came: a short poll after it proves every event up to `lastId` fetched. */
  readonly feed: Feed<Value>;
  readonly pollMark: number;
  /** Undefined when the node did not list its slots. */
  readonly slots: readonly SlotRange[] | undefined;
}

/**
 * A change feed over every primary of a cluster: one {@link Feed} per change log (each on a
 * dedicated connection to the primary serving it, with its own position), merged behind one
 * iterator. Logs are named by their `log_id` (PROTOCOL.md §8.1), which a failover keeps: when a
 * replica takes over, the log's feed moves to it and resumes from the same place, in the log's
 * epoch, so that a rollback is an error and never a silent skip or repeat.
 *
 * Order: each log's events in its order, and each key's events in the order they were logged,
 * through slot moves too. While a slot moves, its keys go one by one from the older owner to the
 * newer and both log the slot's events, so an event of the slot from the newer owner waits until
 * the older owner's feed has handed over everything that log held when the event was received
 * (its `CDC.INFO` last id, asked after); the older owner's events never wait. Once the older
 * owner no longer lists the slot as its own (`CLUSTER SLOTS`) and has handed over everything up
 * to then, the newer owner's events of the slot pass at once again. The logs are interleaved by
 * timestamp among the events at hand.
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
  /** Per slot, the logs that may hold its events: the slot map when the feed opened, then as events of moved slots arrive. */
  readonly #owners = new SlotOwners();
  /** Events received from every log's feed so far. */
  #received = 0;
  #wake: (() => void) | undefined;
  #failure: { readonly error: unknown } | undefined;
  #ended = false;
  #refresh: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  /** Serialises `next()` calls: one caller picks at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Aborted when the feed ends: stops the logs' feeds, those still opening (and retrying) too. */
  readonly #stopped = new AbortController();

  private constructor(host: ClusterFeedHost, settings: FeedSettings) {
    super(settings.signal);
    this.#host = host;
    this.#settings = settings;
    // One listener per log's feed: a cluster of more than ten primaries is no leak.
    setMaxListeners(0, this.#stopped.signal);
  }

  /**
   * Subscribes on every primary; resolves once every log's subscription is in place. Each log's
   * feed rides transient failures of its setup until `setupDeadline`, the subscribe call's (see
   * `Feed.open`); the first log that cannot be followed stops the others.
   */
  static async open<Value extends string | Buffer>(host: ClusterFeedHost, settings: FeedSettings, start: ClusterStart, setupDeadline: number): Promise<ClusterFeed<Value>> {
    const feed = new ClusterFeed<Value>(host, settings);
    const signal = settings.signal;
    feed.followSignal();
    let follows: Promise<void>[] = [];
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
      follows = nodes.map((node) => {
        const saved = positions.find((position) => feed.#matches(position, node.id));
        return feed.#follow(node.id, typeof start === 'object' ? (saved ?? feed.#fromFirst(node.id)) : start, setupDeadline);
      });
      await Promise.all(follows);
    } catch (error) {
      const stopped = feed.#ended;
      await feed.close();
      // The other logs' setups stop with the feed: let them close their connections before the caller hears.
      await Promise.allSettled(follows);
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
    this.#stopped.abort();
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
        // A wait for an older owner ends without any event arriving (a poll that came back short): look again soon.
        if (waiting) setTimeout(() => this.#poke(), FENCE_RECHECK_MS).unref();
      });
    }
  }

  /** The member whose head goes next, if any may go now; `waiting` when one waits for an older owner of its slot. */
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
      if (!this.#mayGo(member, head)) {
        waiting = true;
        continue;
      }
      if (best === undefined || head.timestamp < (best.head as ChangeEvent<Value>).timestamp) best = member;
    }
    return { member: best, waiting };
  }

  /**
   * Whether `member`'s head keeps its key's order: false while an older owner of its slot may
   * still hold an older event of its key.
   */
  #mayGo(member: Member<Value>, event: ChangeEvent<Value>): boolean {
    if (event.key === '') return true;
    const slot = slotOf(event.key);
    const older = this.#owners.before(slot, member.key);
    if (older.length === 0) return true;
    const now = performance.now();
    member.heldSince ??= now;
    if (now - member.heldSince >= this.#boundMs) return true;
    let clear = true;
    for (const key of older) {
      const from = this.#members.get(key);
      if (from === undefined) {
        // A log no longer followed has handed over all it could.
        this.#owners.retire(slot, key);
        continue;
      }
      const fence = from.fence !== undefined && from.fence.covers >= member.headSeq ? from.fence : undefined;
      if (fence === undefined) {
        if (!from.fencing) this.#askFence(from);
        clear = false;
      } else if (!this.#handedUpTo(from, fence)) clear = false;
      else this.#retireIfLeft(slot, from, fence);
    }
    return clear;
  }

  /**
   * The longest an event waits for an older owner of its slot, and a log may go unserved before
   * it counts as departed: long enough to ride out a lost connection (a dead poll is noticed after
   * blockMs plus the deadline, then reconnected) and a failover, bounded so that two slots moving
   * in opposite directions at once cannot stall the feed for good.
   */
  get #boundMs(): number {
    const timeout = Number.isFinite(this.#host.timeoutMs) ? this.#host.timeoutMs : 10_000;
    return Math.max(10_000, 3 * (this.#settings.blockMs + timeout));
  }

  /** Asks `from`'s primary for a {@link Fence} covering every event received so far; asked again at the next look if it does not answer. */
  #askFence(from: Member<Value>): void {
    from.fencing = true;
    const covers = this.#received;
    const feed = from.feed;
    // Given as long as the event may wait: a fence that times out is asked again at once, and a
    // transport may drop a node whose command timed out until it rereads the topology.
    this.#host.context
      .withOptions({ timeout: this.#boundMs })
      .onNode(from.node)
      .batch<readonly SlotRange[] | CdcLogInfo>([prepareCommand(clusterSlotsCommand), prepareCommand(cdcInfoCommand)])
      .then(
        ([slots, info]) => {
          if (info?.ok !== true) return;
          const lastId = (info.value as CdcLogInfo).lastId;
          from.fence = { covers, lastId, feed, pollMark: feed.pollsStarted, slots: slots?.ok === true ? (slots.value as readonly SlotRange[]) : undefined };
        },
        () => {},
      )
      .finally(() => {
        from.fencing = false;
        this.#poke();
      });
  }

  /** Whether `member` has handed over every event its log held up to the fence's last id. */
  #handedUpTo(member: Member<Value>, fence: Fence<Value>): boolean {
    const lastId = fence.lastId;
    if (member.lastHanded >= lastId) return true;
    if (member.head !== undefined) return member.head.id > lastId;
    const feed = member.feed;
    return feed.resumeId > lastId || (feed === fence.feed && feed.bufferedCount === 0 && feed.lastShortPoll > fence.pollMark);
  }

  /**
   * Retires `from` as an owner of `slot` if, when `fence` was asked, another log's primary served
   * the slot: `from` had taken its last write of the slot by then (a node moving a slot away lists
   * it as its own until the move ends), and that has been handed over. A primary not known here may
   * be a replica of `from`'s that took over: not taken as another's.
   */
  #retireIfLeft(slot: number, from: Member<Value>, fence: Fence<Value>): void {
    const primary = fence.slots === undefined ? undefined : primaryOf(fence.slots, slot);
    const log = primary === undefined ? undefined : this.#logOf.get(primary);
    if (log !== undefined && log !== from.key) this.#owners.retire(slot, from.key);
  }

  /**
   * At each refresh: asks every owner of a slot with several where it stands, and retires those
   * that have left it, so that a finished move stops holding its slot's events from the newer owner
   * (and a log read from far back, which logged the slot before it moved, stops counting as one).
   */
  #settleMoves(): void {
    for (const { slot, owners } of this.#owners.moving()) {
      for (const key of owners) {
        const from = this.#members.get(key);
        if (from === undefined) this.#owners.retire(slot, key);
        else if (from.fence !== undefined && this.#handedUpTo(from, from.fence)) this.#retireIfLeft(slot, from, from.fence);
      }
    }
    // The owners of slots still moving are asked again, for the next refresh to retire.
    for (const key of new Set(this.#owners.moving().flatMap(({ owners }) => owners))) {
      const from = this.#members.get(key);
      if (from !== undefined && !from.fencing) this.#askFence(from);
    }
  }

  #handOver(member: Member<Value>): ChangeEvent<Value> {
    const event = member.head as ChangeEvent<Value>;
    member.head = undefined;
    member.lastHanded = event.id;
    member.heldSince = undefined;
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
        member.headSeq = ++this.#received;
        member.heldSince = undefined;
        this.#poke();
      },
      (error: unknown) => {
        if (member.feed !== feed) return;
        member.pulling = false;
        this.#fail(toCdcError(error));
      },
    );
  }

  /** Which log serves each slot as the feed opens (`CLUSTER SLOTS`): its first owner, whose events of the slot go before another log's. */
  async #readSlotMap(nodeId: string | undefined): Promise<void> {
    if (nodeId === undefined) return;
    let ranges: readonly SlotRange[];
    try {
      ranges = await this.#host.context.onNode(nodeId).call(clusterSlotsCommand);
    } catch {
      // Without it, a slot's first owner is the log of its first event received.
      return;
    }
    for (const { start, end, primary } of ranges) {
      const owner = this.#logOf.get(primary);
      if (owner !== undefined) this.#owners.assign(start, end, owner);
    }
  }

  /** Opens a feed of the log `nodeId` serves; `setupDeadline` as `Feed.open` takes it. */
  #openLogFeed(nodeId: string, from: FeedStart, lastHanded: () => number, setupDeadline?: number): Promise<Feed<Value>> {
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
      { ...this.#settings, from, signal: this.#stopped.signal },
      setupDeadline,
    );
  }

  /** Starts following the log node `nodeId` serves, from `from`; `setupDeadline` as `Feed.open` takes it. */
  async #follow(nodeId: string, from: FeedStart, setupDeadline?: number): Promise<void> {
    const key = await this.#learnLog(nodeId);
    const lastHanded = typeof from === 'object' ? from.lastHanded : 0;
    let member: Member<Value> | undefined;
    const feed = await this.#openLogFeed(nodeId, from, () => member?.lastHanded ?? lastHanded, setupDeadline);
    if (this.#ended) {
      await feed.close();
      return;
    }
    member = {
      key,
      node: nodeId,
      feed,
      head: undefined,
      headRollbacks: 0,
      pulling: false,
      lastHanded,
      unservedSince: undefined,
      headSeq: 0,
      heldSince: undefined,
      fence: undefined,
      fencing: false,
    };
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
      this.#settleMoves();
    } catch (error) {
      // Listing nodes or opening a feed failed: try again at the next refresh, unless a log can no
      // longer be read from where this feed stands.
      const typed = toCdcError(error);
      if (typed instanceof CdcPositionExpiredError || typed instanceof CdcPositionLostError) this.#fail(typed);
    }
  }
}
