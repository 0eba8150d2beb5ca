import { randomBytes } from 'node:crypto';
import { CLUSTER_SLOTS } from '@ferrite/core/transport';
import type { Emulator } from '../engine/emulator.js';
import type { ClusterNodeHooks } from './node-hooks.js';

/** One node of an emulator cluster, as the whole cluster sees it. */
export interface ClusterMember {
  /** 40 hex characters, as Redis' node ids. */
  readonly id: string;
  /** The address announced in CLUSTER SLOTS/SHARDS/NODES and in redirects (where it listens, unless announced otherwise). */
  host: string;
  /** Known once the node listens. */
  port: number;
  /** Changed by a failover: the promoted replica becomes a primary, the old primary its replica. */
  role: 'primary' | 'replica';
  /** The primary a replica follows. */
  primary: ClusterMember | undefined;
  replicas: ClusterMember[];
  /** A new engine each time the node restarts (it comes back empty). */
  emulator: Emulator;
  /** Set right after the member is created, and again at each restart. */
  hooks: ClusterNodeHooks;
  /** False from `kill` to `restart`: the node answers nothing and its port refuses. */
  alive: boolean;
  /**
   * Whether the cluster has flagged the node as failed (`fail` in CLUSTER NODES): a dead node,
   * `nodeTimeout` after it stopped answering. Before that a dead node is only suspected (`fail?`).
   */
  failed: boolean;
  /** Of a dead primary whose slots a replica took over: that replica, whose replica it becomes when back. */
  takenOverBy: ClusterMember | undefined;
  /** Of a primary: bumped when it takes a slot (a replica reports its primary's). */
  configEpoch: number;
  /** Replication stream position: commands and migration steps sent (primary) or applied (replica). */
  replicationOffset: number;
}

export interface SlotMigration {
  readonly from: ClusterMember;
  readonly to: ClusterMember;
}

/** A run of consecutive slots with one owner. */
export interface SlotRange {
  readonly start: number;
  readonly end: number;
  readonly owner: ClusterMember;
}

/**
 * The cluster's shared configuration. Real nodes agree on it by gossip; the emulator's nodes live
 * in one process and read one copy, so every node sees a change (a slot moved) at once.
 */
export class ClusterState {
  readonly members: ClusterMember[] = [];
  private readonly owners: Array<ClusterMember | undefined> = new Array<ClusterMember | undefined>(CLUSTER_SLOTS);
  /** Slots being moved, by slot: the owner is still `from` until the move completes. */
  readonly migrations = new Map<number, SlotMigration>();
  currentEpoch = 0;

  /** `cluster-node-timeout` in ms: how long a dead node goes unflagged. */
  constructor(readonly nodeTimeout: number) {}

  static newNodeId(): string {
    return randomBytes(20).toString('hex');
  }

  owner(slot: number): ClusterMember {
    const owner = this.owners[slot];
    if (owner === undefined) throw new Error(`slot ${slot} has no owner`);
    return owner;
  }

  assign(start: number, end: number, owner: ClusterMember): void {
    for (let slot = start; slot <= end; slot++) this.owners[slot] = owner;
  }

  get primaries(): ClusterMember[] {
    return this.members.filter((member) => member.role === 'primary');
  }

  /** Every run of consecutive slots with one owner, in slot order. */
  ranges(): SlotRange[] {
    const ranges: SlotRange[] = [];
    let start = 0;
    for (let slot = 1; slot <= CLUSTER_SLOTS; slot++) {
      if (slot === CLUSTER_SLOTS || this.owners[slot] !== this.owners[start]) {
        ranges.push({ start, end: slot - 1, owner: this.owner(start) });
        start = slot;
      }
    }
    return ranges;
  }

  /**
   * Whether a slot's owner is flagged as failed: with `cluster-require-full-coverage yes` (Redis'
   * default) every node then refuses keyed commands with CLUSTERDOWN until a replica takes over.
   */
  get down(): boolean {
    return this.primaries.some((primary) => primary.failed && this.rangesOf(primary).length > 0);
  }

  /** The primary that serves what `member` served: itself, or whoever took over its slots (transitively). */
  successorOf(member: ClusterMember): ClusterMember {
    let current = member;
    while (current.takenOverBy !== undefined && current.takenOverBy !== member) current = current.takenOverBy;
    return current;
  }

  /** The slot ranges a primary serves. */
  rangesOf(member: ClusterMember): SlotRange[] {
    return this.ranges().filter((range) => range.owner === member);
  }
}

/** `host:port`, as MOVED and ASK name a node. */
export function endpoint(member: ClusterMember): string {
  return `${member.host}:${member.port}`;
}

/** Slot ranges for `count` primaries, split as `redis-cli --cluster create` splits them. */
export function initialSlotRanges(count: number): Array<readonly [number, number]> {
  const perNode = CLUSTER_SLOTS / count;
  const ranges: Array<readonly [number, number]> = [];
  let first = 0;
  let cursor = 0;
  for (let index = 0; index < count; index++) {
    let last = Math.round(cursor + perNode - 1);
    if (last > CLUSTER_SLOTS - 1 || index === count - 1) last = CLUSTER_SLOTS - 1;
    if (last < first) last = first;
    ranges.push([first, last]);
    first = last + 1;
    cursor += perNode;
  }
  return ranges;
}
