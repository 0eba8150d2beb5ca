import { CLUSTER_SLOTS } from '@ferrite/core/transport';
import { Emulator } from '../engine/emulator.js';
import type { EmulatorOptions } from '../engine/emulator.js';
import { startEmulator } from '../server.js';
import type { RunningEmulator } from '../server.js';
import { ClusterNodeHooks } from './node-hooks.js';
import type { RedirectCounts } from './node-hooks.js';
import { clonePayload, putItem, slotItems, takeItem } from './slot-data.js';
import type { SlotItem } from './slot-data.js';
import { ClusterState, initialSlotRanges } from './topology.js';
import type { ClusterMember } from './topology.js';

export interface StartEmulatorClusterOptions extends EmulatorOptions {
  /** Primaries; the 16384 slots are split between them as `redis-cli --cluster create` splits them. Default 3. */
  readonly primaries?: number;
  /** Replicas of each primary. Default 0. */
  readonly replicas?: number;
  /** Port of the first node; the others follow it (primaries first, then replicas). Default 0: free ports. */
  readonly port?: number;
  /** Address to listen on and to announce. Default `127.0.0.1`. */
  readonly host?: string;
  /** Per-connection limit of an unfinished command, in bytes, on every node (see `startEmulator`). Default 1 GiB. */
  readonly queryBufferLimit?: number;
}

/** One node of a running emulator cluster. */
export interface EmulatorClusterNode {
  /** Its `CLUSTER MYID`: 40 hex characters. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** `redis://host:port`. */
  readonly url: string;
  readonly role: 'primary' | 'replica';
  /** The id of the primary a replica follows; undefined for a primary. */
  readonly primaryId: string | undefined;
  /** This node's engine (its own key space, indexes, caches, CRDTs and change log), for assertions. */
  readonly emulator: Emulator;
  /** MOVED and ASK replies this node has sent so far (live counters). */
  readonly redirects: Readonly<RedirectCounts>;
}

/** How {@link RunningEmulatorCluster.moveSlot} paces a move. */
export interface MoveSlotOptions {
  /** Items (keys, vector indexes, semantic namespaces, CRDT values) moved per step. Default 16. */
  readonly itemsPerStep?: number;
  /** Pause between steps, in milliseconds; 0 yields to the event loop once. Default 0. */
  readonly stepDelayMs?: number;
}

/** A running emulator cluster, as `startEmulatorCluster` resolves it. */
export interface RunningEmulatorCluster {
  /** Every node now in the cluster: the first primaries, their replicas, then added primaries. */
  readonly nodes: readonly EmulatorClusterNode[];
  /** The first primary's `redis://host:port`: a seed for cluster clients. */
  readonly url: string;
  /**
   * Moves a slot with everything in it to the primary `toNodeId`, as Redis' resharding does: the
   * slot is marked migrating on its owner and importing on the target, its items move a few at
   * a time (the owner answers `ASK` for those already moved, the target answers `MOVED` unless
   * the client sent `ASKING`), then the target takes the slot and every node answers `MOVED` to
   * the old owner's clients. Moves of one cluster run one after another. Moving data emits no
   * CDC event; later writes appear in the new owner's change log.
   */
  moveSlot(slot: number, toNodeId: string, options?: MoveSlotOptions): Promise<void>;
  /**
   * Starts a new primary that serves no slot yet (give it some with {@link moveSlot}), as
   * `CLUSTER MEET` of a fresh node would. `port` 0 (default) picks a free one.
   */
  addPrimary(options?: { readonly port?: number }): Promise<EmulatorClusterNode>;
  /**
   * Stops a node and forgets it (`CLUSTER FORGET` on every node): a replica, or a primary that
   * serves no slot, imports none, and has no replicas left.
   */
  removeNode(nodeId: string): Promise<void>;
  /**
   * Makes the cluster name another address for a node in CLUSTER SLOTS/SHARDS/NODES and in
   * MOVED/ASK (as Redis' `cluster-announce-ip` and `cluster-announce-port`), e.g. a
   * `faultProxy` in front of it, so cluster clients connect through the proxy. The node keeps
   * listening where it was; `node.port` stays that port.
   */
  announce(nodeId: string, address: { readonly host?: string; readonly port: number }): void;
  /** Stops every node. Idempotent. */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  return value;
}

/** The address other nodes and clients reach a node at, when it listens on every interface. */
function announcedHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

const pause = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/**
 * Starts an emulator cluster on loopback: `primaries` nodes that split the 16384 slots, each with
 * `replicas` replicas. Every node is a TCP server with an engine of its own, speaking the Redis
 * Cluster protocol (CLUSTER SLOTS/SHARDS/NODES/INFO/MYID/KEYSLOT, ASKING, READONLY, READWRITE,
 * MOVED, ASK, CROSSSLOT), so ioredis `Cluster`, node-redis `createCluster` and `redis-cli -c`
 * connect to it unchanged. Nothing is shared between nodes but the slot map.
 */
export async function startEmulatorCluster(options: StartEmulatorClusterOptions = {}): Promise<RunningEmulatorCluster> {
  const { primaries = 3, replicas = 0, port = 0, host = '127.0.0.1', queryBufferLimit, ...emulatorOptions } = options;
  positiveInteger('primaries', primaries, 1);
  positiveInteger('replicas', replicas, 0);
  positiveInteger('port', port, 0);
  const total = primaries * (1 + replicas);
  if (port > 0 && port + total - 1 > 65535) throw new RangeError(`ports ${port}…${port + total - 1} do not all exist`);
  if (primaries > CLUSTER_SLOTS) throw new RangeError(`primaries must be at most ${CLUSTER_SLOTS}, got ${primaries}`);
  const announced = announcedHost(host);
  const state = new ClusterState();
  const makeMember = (role: 'primary' | 'replica', primary: ClusterMember | undefined): ClusterMember => {
    const member: ClusterMember = {
      id: ClusterState.newNodeId(),
      host: announced,
      port: 0,
      role,
      primary,
      replicas: [],
      emulator: new Emulator(emulatorOptions),
      hooks: undefined as unknown as ClusterNodeHooks,
      configEpoch: 0,
      replicationOffset: 0,
    };
    member.hooks = new ClusterNodeHooks(state, member);
    member.emulator.attachCluster(member.hooks);
    state.members.push(member);
    return member;
  };
  const primaryMembers = initialSlotRanges(primaries).map(([start, end], index) => {
    const member = makeMember('primary', undefined);
    member.configEpoch = index + 1;
    state.assign(start, end, member);
    return member;
  });
  state.currentEpoch = primaries;
  for (const primary of primaryMembers) {
    for (let index = 0; index < replicas; index++) primary.replicas.push(makeMember('replica', primary));
  }
  // Replicas take the ports after the primaries, as `redis-cli --cluster create` lays them out.
  const ordered = [...primaryMembers, ...primaryMembers.flatMap((primary) => primary.replicas)];
  state.members.sort((a, b) => ordered.indexOf(a) - ordered.indexOf(b));

  const urlHost = announced.includes(':') ? `[${announced}]` : announced;
  const servers = new Map<ClusterMember, RunningEmulator>();
  const views = new Map<ClusterMember, EmulatorClusterNode>();
  const listenFor = async (member: ClusterMember, listenPort: number): Promise<EmulatorClusterNode> => {
    const server = await startEmulator({
      emulator: member.emulator,
      host,
      port: listenPort,
      ...(queryBufferLimit === undefined ? {} : { queryBufferLimit }),
    });
    servers.set(member, server);
    member.port = server.port;
    const view: EmulatorClusterNode = {
      id: member.id,
      host: announced,
      port: server.port,
      url: `redis://${urlHost}:${server.port}`,
      role: member.role,
      primaryId: member.primary?.id,
      emulator: member.emulator,
      redirects: member.hooks.redirects,
    };
    views.set(member, view);
    return view;
  };
  try {
    for (const [index, member] of ordered.entries()) await listenFor(member, port === 0 ? 0 : port + index);
  } catch (error) {
    await Promise.all([...servers.values()].map((server) => server.close()));
    throw error;
  }
  const memberById = (id: string): ClusterMember => {
    const member = state.members.find((candidate) => candidate.id === id);
    if (member === undefined) throw new Error(`no node with id ${id}`);
    return member;
  };

  const moveItem = (item: SlotItem, from: ClusterMember, to: ClusterMember): void => {
    const payload = takeItem(from.emulator, item);
    if (payload === undefined) return;
    putItem(to.emulator, item, payload);
    // Replicas see the move in their stream, in order with the writes around it (as MIGRATE's DEL and RESTORE).
    from.hooks.replicate({ kind: 'apply', apply: (emulator) => void takeItem(emulator, item) });
    if (to.replicas.length > 0) {
      // A snapshot now: the new owner may change the item before its replicas apply this step.
      const snapshot = clonePayload(payload);
      to.hooks.replicate({ kind: 'apply', apply: (emulator) => putItem(emulator, item, clonePayload(snapshot)) });
    }
  };

  const migrate = async (slot: number, to: ClusterMember, stepOptions: MoveSlotOptions): Promise<void> => {
    const itemsPerStep = positiveInteger('itemsPerStep', stepOptions.itemsPerStep ?? 16, 1);
    const stepDelayMs = positiveInteger('stepDelayMs', stepOptions.stepDelayMs ?? 0, 0);
    const from = state.owner(slot);
    if (from === to) return;
    state.migrations.set(slot, { from, to });
    try {
      for (;;) {
        // Listed again until empty: what a client wrote on the old owner meanwhile moves too.
        const items = slotItems(from.emulator, slot);
        if (items.length === 0) break;
        for (let index = 0; index < items.length; index += itemsPerStep) {
          for (const item of items.slice(index, index + itemsPerStep)) moveItem(item, from, to);
          await pause(stepDelayMs);
        }
      }
      state.assign(slot, slot, to);
      to.configEpoch = ++state.currentEpoch;
    } finally {
      state.migrations.delete(slot);
    }
  };

  let moves: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const url = views.get(ordered[0] as ClusterMember)?.url as string;
  return {
    get nodes() {
      return state.members.map((member) => views.get(member) as EmulatorClusterNode);
    },
    url,
    moveSlot(slot, toNodeId, moveOptions = {}) {
      if (!Number.isSafeInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) {
        return Promise.reject(new RangeError(`slot must be an integer from 0 to ${CLUSTER_SLOTS - 1}, got ${slot}`));
      }
      const to = state.members.find((member) => member.id === toNodeId);
      if (to === undefined) return Promise.reject(new Error(`no node with id ${toNodeId}`));
      if (to.role !== 'primary') return Promise.reject(new Error(`node ${toNodeId} is a replica; slots move to primaries`));
      if (closing !== undefined) return Promise.reject(new Error('the cluster is closed'));
      const run = moves.then(() => migrate(slot, to, moveOptions));
      moves = run.catch(() => undefined);
      return run;
    },
    async addPrimary(addOptions = {}) {
      if (closing !== undefined) throw new Error('the cluster is closed');
      const member = makeMember('primary', undefined);
      member.configEpoch = ++state.currentEpoch;
      try {
        return await listenFor(member, addOptions.port ?? 0);
      } catch (error) {
        state.members.splice(state.members.indexOf(member), 1);
        throw error;
      }
    },
    async removeNode(nodeId) {
      const member = memberById(nodeId);
      if (member.role === 'primary') {
        if (state.rangesOf(member).length > 0) throw new Error(`node ${nodeId} still serves slots; move them away first`);
        if ([...state.migrations.values()].some((migration) => migration.to === member)) throw new Error(`node ${nodeId} is importing a slot`);
        if (member.replicas.length > 0) throw new Error(`node ${nodeId} has replicas; remove them first`);
      } else {
        const siblings = (member.primary as ClusterMember).replicas;
        siblings.splice(siblings.indexOf(member), 1);
      }
      state.members.splice(state.members.indexOf(member), 1);
      await servers.get(member)?.close();
    },
    announce(nodeId, address) {
      const member = memberById(nodeId);
      if (!Number.isSafeInteger(address.port) || address.port < 1 || address.port > 65535) {
        throw new RangeError(`port must be an integer from 1 to 65535, got ${address.port}`);
      }
      member.port = address.port;
      if (address.host !== undefined) member.host = address.host;
    },
    close() {
      closing ??= Promise.all([...servers.values()].map((server) => server.close())).then(() => undefined);
      return closing;
    },
  };
}
