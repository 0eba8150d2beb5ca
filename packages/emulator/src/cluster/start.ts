import { CLUSTER_SLOTS } from '@ferrite/core/transport';
import { Emulator } from '../engine/emulator.js';
import type { EmulatorOptions } from '../engine/emulator.js';
import { DEFAULT_QUERY_BUFFER_LIMIT, serveEmulator } from '../server.js';
import type { EmulatorListener } from '../server.js';
import { promote, resync } from './failover.js';
import { FailureDetector } from './failure-detector.js';
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
  /**
   * Redis' `cluster-node-timeout`, in milliseconds: a node that stopped answering (see
   * {@link RunningEmulatorCluster.kill}) is flagged as failed after this long, and a replica of a
   * failed primary takes over `min(500, nodeTimeout)` ms later (Redis' election delay). Default 1000.
   */
  readonly nodeTimeout?: number;
}

/** One node of a running emulator cluster. */
export interface EmulatorClusterNode {
  /** Its `CLUSTER MYID`: 40 hex characters. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** `redis://host:port`. */
  readonly url: string;
  /** Now: a failover makes a replica a primary and the old primary a replica. */
  readonly role: 'primary' | 'replica';
  /** The id of the primary a replica follows now; undefined for a primary. */
  readonly primaryId: string | undefined;
  /** False from {@link RunningEmulatorCluster.kill} until {@link RunningEmulatorCluster.restart}. */
  readonly alive: boolean;
  /**
   * This node's engine (its own key space, indexes, caches, CRDTs and change log), for assertions:
   * `emulator.crdtOpIds(key)` tells which increments reached it, `emulator.changeLog` which
   * events. A new engine after a restart; a killed node's engine keeps what it had.
   */
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
  /**
   * Kills a node as `kill -9` would: it stops answering, every connection gets a TCP reset and its
   * port refuses connections. What its replicas had not applied yet is lost. After `nodeTimeout`
   * the cluster flags it as failed (`fail` in CLUSTER NODES; before that `fail?`); if it served
   * slots, every node then answers keyed commands with `CLUSTERDOWN The cluster is down` until a
   * live replica takes over, `min(500, nodeTimeout)` ms later (the one that applied the most).
   */
  kill(nodeId: string): Promise<void>;
  /**
   * Starts a killed node again on its port, empty (no persistence): a new engine and change log.
   * A primary whose slots a replica took over comes back as that replica's replica; a replica comes
   * back as a replica of its primary; either copies its primary's data and log (full
   * synchronisation). A primary that still serves its slots comes back empty, and its replicas
   * resynchronise from it (they drop what they had, as in Redis).
   */
  restart(nodeId: string): Promise<EmulatorClusterNode>;
  /**
   * Promotes a replica, as `CLUSTER FAILOVER` sent to it does: by default it first applies all its
   * primary sent (nothing is lost; the primary must be alive), with `force` it takes over with what
   * it has applied (FORCE/TAKEOVER: the rest is lost with its events). It takes its primary's
   * slots, starts a new epoch of the change log (PROTOCOL.md §8.1); the old primary becomes its
   * replica (now, or when it is restarted) and drops what it had not replicated.
   */
  failover(replicaId: string, options?: { readonly force?: boolean }): void;
  /**
   * Replication lag under a test's control: the replica stops applying what its primary sends
   * (writes, events, slot moves queue up) until {@link resumeReplication}. A failover with `force`,
   * or the primary's death, loses exactly what is queued.
   */
  pauseReplication(replicaId: string): void;
  /** Applies what the replica has queued, at once, and lets it apply as usual again. */
  resumeReplication(replicaId: string): void;
  /** Operations (writes, events, slot-move steps) a replica has received and not yet applied. */
  replicationBacklog(replicaId: string): number;
  /** Stops every node and every failure timer. Idempotent. */
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
  const {
    primaries = 3,
    replicas = 0,
    port = 0,
    host = '127.0.0.1',
    queryBufferLimit = DEFAULT_QUERY_BUFFER_LIMIT,
    nodeTimeout = 1000,
    ...emulatorOptions
  } = options;
  positiveInteger('primaries', primaries, 1);
  positiveInteger('queryBufferLimit', queryBufferLimit, 1);
  positiveInteger('nodeTimeout', nodeTimeout, 1);
  positiveInteger('replicas', replicas, 0);
  positiveInteger('port', port, 0);
  const total = primaries * (1 + replicas);
  if (port > 0 && port + total - 1 > 65535) throw new RangeError(`ports ${port}…${port + total - 1} do not all exist`);
  if (primaries > CLUSTER_SLOTS) throw new RangeError(`primaries must be at most ${CLUSTER_SLOTS}, got ${primaries}`);
  const announced = announcedHost(host);
  const state = new ClusterState(nodeTimeout);
  /** Gives a node a new, empty engine: at creation and at each restart. */
  const freshEngine = (member: ClusterMember): void => {
    member.emulator = new Emulator(emulatorOptions);
    member.hooks = new ClusterNodeHooks(state, member);
    member.emulator.attachCluster(member.hooks);
  };
  const makeMember = (role: 'primary' | 'replica', primary: ClusterMember | undefined): ClusterMember => {
    const member: ClusterMember = {
      id: ClusterState.newNodeId(),
      host: announced,
      port: 0,
      role,
      primary,
      replicas: [],
      emulator: undefined as unknown as Emulator,
      hooks: undefined as unknown as ClusterNodeHooks,
      configEpoch: 0,
      replicationOffset: 0,
      alive: true,
      failed: false,
      takenOverBy: undefined,
    };
    freshEngine(member);
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
    for (let index = 0; index < replicas; index++) {
      const replica = makeMember('replica', primary);
      primary.replicas.push(replica);
      resync(replica, primary); // an empty copy, but of the primary's log: same log id (§8.1)
    }
  }
  // Replicas take the ports after the primaries, as `redis-cli --cluster create` lays them out.
  const ordered = [...primaryMembers, ...primaryMembers.flatMap((primary) => primary.replicas)];
  state.members.sort((a, b) => ordered.indexOf(a) - ordered.indexOf(b));

  const urlHost = announced.includes(':') ? `[${announced}]` : announced;
  const servers = new Map<ClusterMember, EmulatorListener>();
  const views = new Map<ClusterMember, EmulatorClusterNode>();
  const listenFor = async (member: ClusterMember, listenPort: number): Promise<EmulatorClusterNode> => {
    const server = await serveEmulator(member.emulator, host, listenPort, queryBufferLimit);
    servers.set(member, server);
    const existing = views.get(member);
    if (existing !== undefined) return existing;
    member.port = server.port;
    const view: EmulatorClusterNode = {
      id: member.id,
      host: announced,
      port: server.port,
      url: `redis://${urlHost}:${server.port}`,
      get role() {
        return member.role;
      },
      get primaryId() {
        return member.primary?.id;
      },
      get alive() {
        return member.alive;
      },
      get emulator() {
        return member.emulator;
      },
      get redirects() {
        return member.hooks.redirects;
      },
    };
    views.set(member, view);
    return view;
  };
  try {
    for (const [index, member] of ordered.entries()) await listenFor(member, port === 0 ? 0 : port + index);
  } catch (error) {
    await Promise.all([...servers.values()].map((server) => server.stop()));
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

  const detector = new FailureDetector(state);
  const replicaById = (id: string): ClusterMember => {
    const member = memberById(id);
    if (member.role !== 'replica') throw new Error(`node ${id} is not a replica`);
    return member;
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
      if (!to.alive || !state.owner(slot).alive) return Promise.reject(new Error(`slot ${slot} cannot move while its owner or ${toNodeId} is down`));
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
      detector.nodeBack(member);
      await servers.get(member)?.stop();
    },
    async kill(nodeId) {
      const member = memberById(nodeId);
      if (!member.alive) throw new Error(`node ${nodeId} is already down`);
      member.alive = false;
      member.failed = false;
      // What was on its way to or from it dies with the connections.
      member.hooks.discardBacklog();
      for (const replica of member.replicas) replica.hooks.discardBacklog();
      detector.nodeDown(member);
      await servers.get(member)?.stop({ abrupt: true });
    },
    async restart(nodeId) {
      if (closing !== undefined) throw new Error('the cluster is closed');
      const member = memberById(nodeId);
      if (member.alive) throw new Error(`node ${nodeId} is running; kill it first`);
      detector.nodeBack(member);
      freshEngine(member);
      await listenFor(member, (views.get(member) as EmulatorClusterNode).port);
      member.alive = true;
      if (member.role === 'primary' && member.takenOverBy !== undefined) {
        const successor = state.successorOf(member);
        member.takenOverBy = undefined;
        member.role = 'replica';
        member.primary = successor;
        successor.replicas.push(member);
        if (successor.alive) resync(member, successor);
      } else if (member.role === 'replica') {
        const primary = member.primary as ClusterMember;
        if (primary.alive) resync(member, primary);
      } else {
        for (const replica of member.replicas) if (replica.alive) resync(replica, member);
      }
      return views.get(member) as EmulatorClusterNode;
    },
    failover(replicaId, failoverOptions = {}) {
      const replica = replicaById(replicaId);
      const primary = replica.primary as ClusterMember;
      if (failoverOptions.force !== true && !primary.alive) throw new Error(`the primary of ${replicaId} is down: use { force: true }`);
      promote(state, replica, failoverOptions.force === true ? 'force' : 'catch-up');
    },
    pauseReplication(replicaId) {
      replicaById(replicaId).hooks.pauseReplication();
    },
    resumeReplication(replicaId) {
      replicaById(replicaId).hooks.resumeReplication();
    },
    replicationBacklog(replicaId) {
      return replicaById(replicaId).hooks.pendingOperations;
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
      if (closing === undefined) {
        detector.stop();
        closing = Promise.all([...servers.values()].map((server) => server.stop())).then(() => undefined);
      }
      return closing;
    },
  };
}
