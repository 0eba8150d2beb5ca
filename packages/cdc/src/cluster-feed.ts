import { readArray, readInteger, readText, slotOf, type PluginContext, type Reply } from '@ferrite/core';
import { encodeCheckpoint, type ChangeFeedCheckpoint } from './checkpoint.js';
import { cdcInfoCommand } from './commands/info.js';
import { CdcPositionExpiredError, toCdcError } from './errors.js';
import { Feed, type FeedSettings, type FeedStart } from './feed.js';
import { abortedBeforeStart, FeedBase } from './feed-base.js';
import type { ChangeEvent } from './types.js';

/** What a cluster feed needs from the client it belongs to. */
export interface ClusterFeedHost {
  readonly context: PluginContext;
  /** The client's per-call deadline in ms (`Infinity`: none). */
  readonly timeoutMs: number;
  /** Called once when the feed has ended, however it ended. */
  readonly onEnded: (feed: { close(): Promise<void> }) => void;
  /** How often the primaries are listed again, to follow nodes that join or leave. */
  readonly refreshMs: number;
}

/** Where each node's feed starts: the same for every node, or per node from a checkpoint (others from `'earliest'`). */
export type ClusterStart = { readonly kind: 'latest' | 'earliest' } | { readonly kind: 'checkpoint'; readonly nodes: ReadonlyMap<string, number> };

/** Hash slots of a Redis Cluster (PROTOCOL.md §8). */
const CLUSTER_SLOTS = 16_384;
/** How often a consumer waiting on a slot-move barrier looks again. */
const BARRIER_RECHECK_MS = 10;
/** Failed `CDC.INFO` calls (one per refresh) after which a node that left the cluster is given up. */
const DEPARTED_ATTEMPTS = 5;

/** One primary's feed, and the event of it that is next in line for the caller. */
interface Member<Value extends string | Buffer> {
  readonly id: string;
  readonly feed: Feed<Value>;
  /** The node's next event, taken from its feed, not yet handed to the caller. */
  head: ChangeEvent<Value> | undefined;
  pulling: boolean;
  /** No longer among the primaries: drained, then closed. */
  leaving: { drain: Barrier | undefined; failures: number } | undefined;
}

/**
 * "Every event node `from` logged up to `lastId` has been handed over": how per-key order is kept
 * when a slot moves. `pollMark` is the node feed's poll count once `lastId` was known; a shorter
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
 * A change feed over every primary of a cluster: one {@link Feed} per node (each on a dedicated
 * connection to that node, with its own position), merged behind one iterator.
 *
 * Order: each node's events in its log's order. Per key across a slot move: when the first event
 * of a slot comes from another node than the slot's previous events, it waits until the previous
 * node's feed has handed over everything that node logged before (its `CDC.INFO` last id, read
 * then), so a key's old-owner events always come first. Otherwise nodes are interleaved by
 * timestamp among the events at hand.
 *
 * Topology: the primaries are listed again every `refreshMs`. A new primary is followed from the
 * oldest event it keeps (it can only hold events of slots it took over, after it joined); a
 * primary that left is followed until it has nothing more to hand over, then dropped.
 */
export class ClusterFeed<Value extends string | Buffer> extends FeedBase<Value> {
  readonly #host: ClusterFeedHost;
  readonly #settings: FeedSettings;
  readonly #members = new Map<string, Member<Value>>();
  /** Per node ever followed: the first event id not handed to the caller yet. */
  readonly #next = new Map<string, number>();
  /**
   * Per slot: the node whose events of that slot are due now. Starts as the slot map when the
   * feed opened; then the node whose event of that slot was handed over last.
   */
  readonly #slotNode = new Array<string | undefined>(CLUSTER_SLOTS);
  /** Pending slot-move barriers, by `slot`. */
  readonly #barriers = new Map<number, Barrier>();
  #wake: (() => void) | undefined;
  #failure: { readonly error: unknown } | undefined;
  #ended = false;
  #refresh: NodeJS.Timeout | undefined;
  #refreshing = false;
  /** Serialises `next()` calls: one caller picks at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(host: ClusterFeedHost, settings: FeedSettings) {
    super(settings.signal);
    this.#host = host;
    this.#settings = settings;
  }

  /** Subscribes on every primary; resolves once every node's subscription is in place. */
  static async open<Value extends string | Buffer>(host: ClusterFeedHost, settings: FeedSettings, start: ClusterStart): Promise<ClusterFeed<Value>> {
    const feed = new ClusterFeed<Value>(host, settings);
    const signal = settings.signal;
    feed.followSignal();
    try {
      const nodes = await host.context.nodes();
      await feed.#readSlotMap(nodes[0]?.id);
      if (start.kind === 'checkpoint') for (const [id, next] of start.nodes) feed.#next.set(id, next);
      await Promise.all(nodes.map((node) => feed.#follow(node.id, start.kind === 'checkpoint' ? 'earliest' : start.kind)));
    } catch (error) {
      await feed.close();
      if (signal?.aborted) throw abortedBeforeStart(signal);
      throw toCdcError(error);
    }
    if (feed.#ended) throw abortedBeforeStart(signal);
    feed.#refresh = setInterval(() => void feed.#refreshNodes(), host.refreshMs);
    feed.#refresh.unref();
    return feed;
  }

  /** Ids are per node on a cluster, so the position is the token naming every node's: the checkpoint. */
  get position(): ChangeFeedCheckpoint {
    return this.checkpoint;
  }

  get checkpoint(): ChangeFeedCheckpoint {
    return encodeCheckpoint({ kind: 'cluster', nodes: this.#next });
  }

  async lag(): Promise<number> {
    const lags = await Promise.all([...this.#members.values()].map((member) => member.feed.lag()));
    // Events taken from a node's feed but not yet handed over count too.
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
      if (!this.#mayGo(member.id, head)) {
        waiting = true;
        continue;
      }
      if (best === undefined || head.timestamp < (best.head as ChangeEvent<Value>).timestamp) best = member;
    }
    return { member: best, waiting };
  }

  /** Whether `event` of node `id` keeps its key's order: false while an earlier owner of its slot may still hold older events. */
  #mayGo(id: string, event: ChangeEvent<Value>): boolean {
    if (event.key === '') return true;
    const slot = slotOf(event.key);
    const previous = this.#slotNode[slot];
    if (previous === undefined || previous === id) return true;
    const from = this.#members.get(previous);
    // A node no longer followed has handed over all it could.
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
      from: from.id,
      lastId: undefined,
      pollMark: Number.POSITIVE_INFINITY,
      asking: false,
      giveUpAt: performance.now() + this.#barrierBoundMs,
    };
    this.#askLastId(from, barrier);
    return barrier;
  }

  /**
   * The longest a slot's events wait for its previous owner: long enough to ride out a lost
   * connection to it (a dead poll is noticed after blockMs plus the deadline, then reconnected),
   * bounded so that two slots moving in opposite directions at once cannot stall the feed for good.
   */
  get #barrierBoundMs(): number {
    const timeout = Number.isFinite(this.#host.timeoutMs) ? this.#host.timeoutMs : 10_000;
    return Math.max(10_000, 3 * (this.#settings.blockMs + timeout));
  }

  /** Reads the previous owner's last event id; asked again at the next look if the node does not answer. */
  #askLastId(from: Member<Value>, barrier: Barrier): void {
    barrier.asking = true;
    this.#host.context
      .onNode(from.id)
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

  /** Whether `member` has handed over every event it logged up to the barrier's last id. */
  #drained(member: Member<Value>, barrier: Barrier): boolean {
    if (performance.now() >= barrier.giveUpAt) return true;
    const lastId = barrier.lastId;
    if (lastId === undefined) return false;
    if ((this.#next.get(member.id) ?? 1) > lastId) return true;
    if (member.head !== undefined) return member.head.id > lastId;
    return member.feed.bufferedCount === 0 && member.feed.lastShortPoll > barrier.pollMark;
  }

  #handOver(member: Member<Value>): ChangeEvent<Value> {
    const event = member.head as ChangeEvent<Value>;
    member.head = undefined;
    this.#next.set(member.id, event.id + 1);
    if (event.key !== '') this.#slotNode[slotOf(event.key)] = member.id;
    this.#pull(member);
    return { ...event, node: member.id };
  }

  /** Keeps one `next()` outstanding on a member's feed while its head is empty. */
  #pull(member: Member<Value>): void {
    if (member.pulling || member.head !== undefined || this.#ended) return;
    member.pulling = true;
    member.feed.next().then(
      (result) => {
        member.pulling = false;
        if (result.done) return;
        // A node's feed hands each id once; this guards the merge against anything it repeats.
        if (result.value.id < (this.#next.get(member.id) ?? 1)) return this.#pull(member);
        member.head = result.value;
        this.#poke();
      },
      (error: unknown) => {
        member.pulling = false;
        this.#fail(toCdcError(error));
      },
    );
  }

  /**
   * Which node serves each slot as the feed opens (`CLUSTER SLOTS`): the first event of a slot
   * from another node then waits for this one's, even if none of its events was handed over yet.
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
      const owner = readText(id);
      for (let slot = readInteger(start); slot <= readInteger(end); slot++) this.#slotNode[slot] = owner;
    }
  }

  /** Starts following node `id`: from its checkpointed position if it has one, else from `start`. */
  async #follow(id: string, start: 'latest' | 'earliest'): Promise<void> {
    const known = this.#next.get(id);
    const from: FeedStart = known ?? start;
    const feed = await Feed.open<Value>(
      { context: this.#host.context, node: id, timeoutMs: this.#host.timeoutMs, onEnded: () => {} },
      { ...this.#settings, from, signal: undefined },
    );
    if (this.#ended) {
      await feed.close();
      return;
    }
    this.#next.set(id, feed.resumeId);
    const member: Member<Value> = { id, feed, head: undefined, pulling: false, leaving: undefined };
    this.#members.set(id, member);
    this.#pull(member);
  }

  /** Lists the primaries again: follows new ones, drains and drops those that left. */
  async #refreshNodes(): Promise<void> {
    if (this.#refreshing || this.#ended) return;
    this.#refreshing = true;
    try {
      const current = new Set((await this.#host.context.nodes()).map((node) => node.id));
      for (const id of current) {
        const member = this.#members.get(id);
        if (member !== undefined) member.leaving = undefined;
        // A node never seen joined after this feed started (or after its checkpoint was saved):
        // everything in its log is new to this feed.
        else await this.#follow(id, 'earliest');
      }
      for (const member of this.#members.values()) {
        if (!current.has(member.id)) await this.#drainLeaving(member);
      }
    } catch (error) {
      // Listing nodes or opening a feed failed: try again at the next refresh, unless the node no
      // longer keeps the events this feed needs from it.
      const typed = toCdcError(error);
      if (typed instanceof CdcPositionExpiredError) this.#fail(typed);
    } finally {
      this.#refreshing = false;
    }
  }

  async #drainLeaving(member: Member<Value>): Promise<void> {
    const leaving = (member.leaving ??= { drain: undefined, failures: 0 });
    if (leaving.drain === undefined) {
      try {
        const info = await this.#host.context.onNode(member.id).call(cdcInfoCommand);
        leaving.drain = { from: member.id, lastId: info.lastId, pollMark: member.feed.pollsStarted, asking: false, giveUpAt: Number.POSITIVE_INFINITY };
      } catch {
        // Gone for good after a few tries: what it still held cannot be fetched any more.
        if (++leaving.failures < DEPARTED_ATTEMPTS) return;
        leaving.drain = { from: member.id, lastId: 0, pollMark: 0, asking: false, giveUpAt: 0 };
      }
    }
    if (this.#drained(member, leaving.drain) && member.head === undefined) {
      this.#members.delete(member.id);
      this.#poke();
      await member.feed.close();
    }
  }
}
