import { slotOf } from '@ferrite/core';
import { CLUSTER_SLOTS } from '@ferrite/core/transport';
import type { ClusterHooks } from '../engine/cluster-hooks.js';
import type { EngineCommandSpec, EngineContext } from '../engine/engine-context.js';
import type { Emulator } from '../engine/emulator.js';
import { CommandError, OK, array, binary, bulk, integer, map } from '../engine/reply.js';
import type { EngineReply } from '../engine/reply.js';
import type { Session } from '../engine/session.js';
import { command } from '../engine/commands/spec.js';
import { matchGlob } from '../engine/glob.js';
import { subcommandHandler } from '../engine/commands/subcommands.js';
import type { ChangeEvent } from '../engine/cdc/change-log.js';
import { promote } from './failover.js';
import { holds, keysInSlot } from './slot-data.js';
import { endpoint } from './topology.js';
import type { ClusterMember, ClusterState } from './topology.js';

export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
export const TRYAGAIN = 'TRYAGAIN Multiple keys request during rehashing of slot';
const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
const SELECT_IN_CLUSTER = 'ERR SELECT is not allowed in cluster mode';
const INVALID_SLOT = 'ERR Invalid or out of range slot';
export const CLUSTERDOWN = 'CLUSTERDOWN The cluster is down';

/**
 * What a replica is sent: a write its primary ran, an event its primary logged (copied as it is,
 * PROTOCOL.md §8.1), or one step of a slot migration.
 */
type ReplicationOp =
  | { readonly kind: 'command'; readonly db: number; readonly argv: readonly Buffer[] }
  | { readonly kind: 'event'; readonly event: ChangeEvent }
  | { readonly kind: 'apply'; readonly apply: (emulator: Emulator) => void };

/** Per-connection cluster flags. */
interface ConnectionFlags {
  asking: boolean;
  readonly: boolean;
}

/** Redirects a node has sent, for tests that check a client routes right (zero MOVED in steady state). */
export interface RedirectCounts {
  moved: number;
  ask: number;
}

/** Commands that drive a transaction: never replicated themselves (the commands EXEC runs are). */
const TRANSACTION_CONTROL = new Set(['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH']);

/** The keys of a command from its COMMAND INFO key positions (first, last, step), as Redis finds them. */
function commandKeys(spec: EngineCommandSpec, argv: readonly Buffer[]): Buffer[] {
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : Math.min(spec.lastKey, argv.length - 1);
  const step = Math.max(1, spec.step);
  const keys: Buffer[] = [];
  for (let index = spec.firstKey; index <= last; index += step) keys.push(argv[index] as Buffer);
  return keys;
}

/** Text Redis sends as a verbatim string in RESP3 (a bulk string in RESP2). */
function verbatim(text: string): EngineReply {
  return { kind: 'bulk', value: Buffer.from(text, 'utf8'), verbatim: 'txt' };
}

function parseSlot(arg: Buffer): number {
  const text = arg.toString('latin1');
  const slot = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) throw new CommandError(INVALID_SLOT);
  return slot;
}

/**
 * One node's part of an emulator cluster: the CLUSTER commands, the slot checks that turn a
 * command into MOVED/ASK/CROSSSLOT/TRYAGAIN (Redis' `getNodeByQuery`), and replication.
 *
 * Replication is asynchronous: a primary queues every write it ran, every event it logged (and
 * every step of a slot migration) for each of its live replicas, and a replica applies what is
 * queued on the next turn of the event loop (`setImmediate`), in order, through a session of its
 * own — unless its replication is paused, when the queue waits (a lag tests can control).
 */
export class ClusterNodeHooks implements ClusterHooks {
  readonly commands: readonly EngineCommandSpec[];
  readonly redirects: RedirectCounts = { moved: 0, ask: 0 };
  private readonly flags = new WeakMap<Session, ConnectionFlags>();
  /** Sessions that bypass slot checks: the replication link. */
  private readonly trusted = new WeakSet<Session>();
  private readonly backlog: ReplicationOp[] = [];
  private applyScheduled = false;
  private paused = false;
  private replicationSession: Session | undefined;

  constructor(
    private readonly cluster: ClusterState,
    private readonly self: ClusterMember,
  ) {
    this.commands = this.buildCommands();
    // `self.emulator` is this node's engine for as long as these hooks serve it (a restart makes both anew).
    self.emulator.changeLog.onAppend((event) => {
      if (this.self.role === 'primary') this.replicate({ kind: 'event', event });
    });
  }

  get role(): 'master' | 'replica' {
    return this.self.role === 'primary' ? 'master' : 'replica';
  }

  private flagsOf(session: Session): ConnectionFlags {
    let flags = this.flags.get(session);
    if (flags === undefined) {
      flags = { asking: false, readonly: false };
      this.flags.set(session, flags);
    }
    return flags;
  }

  admit(session: Session, spec: EngineCommandSpec, argv: readonly Buffer[]): string | undefined {
    if (this.trusted.has(session)) return undefined;
    const refusal = this.check(session, spec, argv);
    // A refused EXEC discards the transaction, WATCHes included, as Redis' discardTransaction does.
    if (refusal !== undefined && spec.name === 'EXEC') this.self.emulator.watches.unwatch(session);
    return refusal;
  }

  /** Redis' `getNodeByQuery`: which node serves this command, as a redirect or refusal text. */
  private check(session: Session, spec: EngineCommandSpec, argv: readonly Buffer[]): string | undefined {
    const name = spec.name;
    const flags = this.flagsOf(session);
    const asking = flags.asking;
    // ASKING holds for the next command only (for a whole MULTI block when given before it).
    if (name !== 'ASKING' && name !== 'MULTI' && session.transaction === undefined) flags.asking = false;
    if (name === 'RESET') this.flags.delete(session);
    if (name === 'SELECT') {
      const text = (argv[1] as Buffer).toString('latin1');
      return /^-?\d+$/.test(text) && BigInt(text) !== 0n ? SELECT_IN_CLUSTER : undefined;
    }
    const commands: Array<{ spec: EngineCommandSpec; argv: readonly Buffer[] }> = [];
    if (name === 'EXEC') {
      // EXEC is checked as a whole: every queued command's keys must be in one slot this node serves.
      for (const queued of session.transaction?.queue ?? []) {
        const queuedSpec = this.self.emulator.command((queued[0] as Buffer).toString('latin1'));
        if (queuedSpec !== undefined) commands.push({ spec: queuedSpec, argv: queued });
      }
    } else {
      commands.push({ spec, argv });
    }
    let slot = -1;
    let firstKey: Buffer | undefined;
    let multipleKeys = false;
    let missing = 0;
    let existing = 0;
    let write = false;
    let migratingTo: ClusterMember | undefined;
    let importingFrom: ClusterMember | undefined;
    const db = this.self.emulator.database(session.selectedDb);
    for (const entry of commands) {
      if (entry.spec.flags.includes('write')) write = true;
      for (const key of commandKeys(entry.spec, entry.argv)) {
        const keySlot = slotOf(key);
        if (firstKey === undefined) {
          slot = keySlot;
          firstKey = key;
          const migration = this.cluster.migrations.get(slot);
          if (migration !== undefined && migration.from === this.self) migratingTo = migration.to;
          else if (migration !== undefined && migration.to === this.self) importingFrom = migration.from;
        } else if (keySlot !== slot) {
          return CROSSSLOT;
        } else if (!key.equals(firstKey)) {
          multipleKeys = true;
        }
        if ((migratingTo !== undefined || importingFrom !== undefined) && !holds(db, entry.spec.name, key.toString('latin1'))) missing++;
        else existing++;
      }
    }
    if (firstKey === undefined) {
      // No key: the command runs where it is sent (CDC.*, VECTOR.INDEX.LIST, KEYS, FLUSHALL…).
      return write && this.self.role === 'replica' ? READONLY_REPLICA : undefined;
    }
    // `cluster-require-full-coverage yes`: while a slot's owner is flagged failed, no keyed command runs.
    if (this.cluster.down) return CLUSTERDOWN;
    if (migratingTo !== undefined && missing > 0) {
      if (existing > 0) return TRYAGAIN;
      this.redirects.ask++;
      return `ASK ${slot} ${endpoint(migratingTo)}`;
    }
    if (importingFrom !== undefined && asking) {
      return multipleKeys && missing > 0 ? TRYAGAIN : undefined;
    }
    const owner = this.cluster.owner(slot);
    if (flags.readonly && !write && this.self.role === 'replica' && this.self.primary === owner) return undefined;
    if (owner === this.self) return undefined;
    this.redirects.moved++;
    return `MOVED ${slot} ${endpoint(owner)}`;
  }

  executed(session: Session, spec: EngineCommandSpec, argv: readonly Buffer[], reply: EngineReply): void {
    if (this.self.role !== 'primary' || this.self.replicas.length === 0 || reply.kind === 'error') return;
    if (!spec.flags.includes('write') || TRANSACTION_CONTROL.has(spec.name) || this.trusted.has(session)) return;
    this.replicate({ kind: 'command', db: session.selectedDb, argv });
  }

  /** Sends one operation down to every live replica of this primary (a dead one resynchronises when back). */
  replicate(op: ReplicationOp): void {
    this.self.replicationOffset++;
    for (const replica of this.self.replicas) if (replica.alive) replica.hooks.enqueue(op);
  }

  /** Of a replica: queues an operation from the primary, applied on the next turn of the event loop unless paused. */
  enqueue(op: ReplicationOp): void {
    this.backlog.push(op);
    this.scheduleApply();
  }

  private scheduleApply(): void {
    if (this.applyScheduled || this.paused || this.backlog.length === 0) return;
    this.applyScheduled = true;
    setImmediate(() => {
      this.applyScheduled = false;
      if (!this.paused) this.applyBacklog();
    });
  }

  /** Operations received and not yet applied. */
  get pendingOperations(): number {
    return this.backlog.length;
  }

  /** Of a replica: stops applying what the primary sends (it queues up) until {@link resumeReplication}. */
  pauseReplication(): void {
    this.paused = true;
  }

  /** Of a replica: applies the queue now, and what comes later as usual. */
  resumeReplication(): void {
    this.paused = false;
    this.applyBacklog();
  }

  /** Drops what was received and not applied: the link died, or a full synchronisation replaces it. */
  discardBacklog(): void {
    this.backlog.length = 0;
  }

  /** Applies everything queued so far, in order (also while paused: a manual failover catches up). */
  applyBacklog(): void {
    const emulator = this.self.emulator;
    if (this.replicationSession === undefined) {
      this.replicationSession = emulator.createSession({ address: 'replication' });
      this.replicationSession.authenticated = true;
      this.trusted.add(this.replicationSession);
    }
    const session = this.replicationSession;
    for (const op of this.backlog.splice(0)) {
      if (op.kind === 'command') {
        session.selectedDb = op.db;
        void emulator.execute(session, op.argv);
      } else if (op.kind === 'event') {
        emulator.changeLog.copy(op.event);
      } else {
        op.apply(emulator);
      }
      this.self.replicationOffset++;
    }
  }

  errorStats(): string[] {
    const lines: string[] = [];
    if (this.redirects.ask > 0) lines.push(`errorstat_ASK:count=${this.redirects.ask}`);
    if (this.redirects.moved > 0) lines.push(`errorstat_MOVED:count=${this.redirects.moved}`);
    return lines;
  }

  replicationInfo(): string[] {
    const self = this.self;
    if (self.role === 'replica') {
      const primary = self.primary as ClusterMember;
      return [
        '# Replication',
        'role:slave',
        `master_host:${primary.host}`,
        `master_port:${primary.port}`,
        `master_link_status:${primary.alive ? 'up' : 'down'}`,
        'master_sync_in_progress:0',
        `slave_repl_offset:${self.replicationOffset}`,
        'slave_read_only:1',
        'connected_slaves:0',
        `master_repl_offset:${self.replicationOffset}`,
      ];
    }
    const connected = self.replicas.filter((replica) => replica.alive);
    return [
      '# Replication',
      'role:master',
      `connected_slaves:${connected.length}`,
      ...connected.map((replica, index) => `slave${index}:ip=${replica.host},port=${replica.port},state=online,offset=${replica.replicationOffset},lag=0`),
      `master_repl_offset:${self.replicationOffset}`,
    ];
  }

  // ---- replies --------------------------------------------------------------------------

  private nodeEntry(member: ClusterMember): EngineReply {
    // The fourth element (networking metadata) is an empty map: `*0` in RESP2, `%0` in RESP3.
    return array([bulk(member.host), integer(member.port), bulk(member.id), map([])]);
  }

  private slotsReply(): EngineReply {
    return array(
      this.cluster.ranges().map((range) =>
        array([
          integer(range.start),
          integer(range.end),
          this.nodeEntry(range.owner),
          // Redis leaves out replicas flagged as failed.
          ...range.owner.replicas.filter((replica) => !replica.failed).map((replica) => this.nodeEntry(replica)),
        ]),
      ),
    );
  }

  private shardsReply(): EngineReply {
    const describe = (member: ClusterMember): EngineReply =>
      map([
        [bulk('id'), bulk(member.id)],
        [bulk('port'), integer(member.port)],
        [bulk('ip'), bulk(member.host)],
        [bulk('endpoint'), bulk(member.host)],
        [bulk('role'), bulk(member.role === 'primary' ? 'master' : 'replica')],
        [bulk('replication-offset'), integer(member.replicationOffset)],
        [bulk('health'), bulk(member.alive ? 'online' : 'fail')],
      ]);
    return array(
      this.cluster.primaries.map((primary) =>
        map([
          [bulk('slots'), array(this.cluster.rangesOf(primary).flatMap((range) => [integer(range.start), integer(range.end)]))],
          [bulk('nodes'), array([primary, ...primary.replicas].map(describe))],
        ]),
      ),
    );
  }

  private nodesText(): string {
    const now = Date.now();
    const lines = this.cluster.members.map((member) => {
      const myself = member === this.self;
      const failure = member.alive ? '' : member.failed ? ',fail' : ',fail?';
      const flags = `${myself ? 'myself,' : ''}${member.role === 'primary' ? 'master' : 'slave'}${failure}`;
      const epoch = member.role === 'primary' ? member.configEpoch : (member.primary as ClusterMember).configEpoch;
      const cport = member.port + 10000 <= 65535 ? member.port + 10000 : 0;
      const fields = [
        member.id,
        `${member.host}:${member.port}@${cport}`,
        flags,
        member.primary?.id ?? '-',
        '0',
        String(now),
        String(epoch),
        member.alive ? 'connected' : 'disconnected',
      ];
      if (member.role === 'primary') {
        for (const range of this.cluster.rangesOf(member)) fields.push(range.start === range.end ? String(range.start) : `${range.start}-${range.end}`);
      }
      if (myself) {
        for (const [slot, migration] of this.cluster.migrations) {
          if (migration.from === member) fields.push(`[${slot}->-${migration.to.id}]`);
          if (migration.to === member) fields.push(`[${slot}-<-${migration.from.id}]`);
        }
      }
      return `${fields.join(' ')}\n`;
    });
    return lines.join('');
  }

  private infoText(): string {
    const self = this.self;
    const epochOwner = self.role === 'primary' ? self : (self.primary as ClusterMember);
    const slotsOf = (members: ClusterMember[]) => members.reduce((sum, member) => sum + this.cluster.rangesOf(member).reduce((n, range) => n + range.end - range.start + 1, 0), 0);
    const failedSlots = slotsOf(this.cluster.primaries.filter((primary) => primary.failed));
    const suspectedSlots = slotsOf(this.cluster.primaries.filter((primary) => !primary.alive && !primary.failed));
    const lines = [
      `cluster_state:${this.cluster.down ? 'fail' : 'ok'}`,
      `cluster_slots_assigned:${CLUSTER_SLOTS}`,
      `cluster_slots_ok:${CLUSTER_SLOTS - failedSlots - suspectedSlots}`,
      `cluster_slots_pfail:${suspectedSlots}`,
      `cluster_slots_fail:${failedSlots}`,
      `cluster_known_nodes:${this.cluster.members.length}`,
      `cluster_size:${this.cluster.primaries.filter((primary) => this.cluster.rangesOf(primary).length > 0).length}`,
      `cluster_current_epoch:${this.cluster.currentEpoch}`,
      `cluster_my_epoch:${epochOwner.configEpoch}`,
      'cluster_stats_messages_sent:0',
      'cluster_stats_messages_received:0',
      'total_cluster_links_buffer_limit_exceeded:0',
    ];
    return `${lines.join('\r\n')}\r\n`;
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER], sent to a replica (PROTOCOL.md §8.1). */
  private failover(args: readonly Buffer[]): EngineReply {
    const option = args[0]?.toString('latin1').toUpperCase();
    if (args.length > 1 || (option !== undefined && option !== 'FORCE' && option !== 'TAKEOVER')) throw new CommandError('ERR syntax error');
    const primary = this.self.primary;
    if (this.self.role !== 'replica' || primary === undefined) throw new CommandError('ERR You should send CLUSTER FAILOVER to a replica');
    if (option === undefined && (!primary.alive || primary.failed)) {
      throw new CommandError('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
    }
    promote(this.cluster, this.self, option === undefined ? 'catch-up' : 'force');
    return OK;
  }

  private buildCommands(): EngineCommandSpec[] {
    const cluster = subcommandHandler('CLUSTER', {
      SLOTS: { arity: 2, handler: () => this.slotsReply() },
      SHARDS: { arity: 2, handler: () => this.shardsReply() },
      NODES: { arity: 2, handler: () => verbatim(this.nodesText()) },
      INFO: { arity: 2, handler: () => verbatim(this.infoText()) },
      MYID: { arity: 2, handler: () => bulk(this.self.id) },
      FAILOVER: { arity: -2, handler: (_context, args) => this.failover(args) },
      KEYSLOT: { arity: 3, handler: (_context, args) => integer(slotOf(args[0] as Buffer)) },
      COUNTKEYSINSLOT: {
        arity: 3,
        handler: (context: EngineContext, args) => integer(keysInSlot(context.keyspace, parseSlot(args[0] as Buffer), Infinity).length),
      },
      GETKEYSINSLOT: {
        arity: 4,
        handler: (context: EngineContext, args) => {
          const slot = parseSlot(args[0] as Buffer);
          const text = (args[1] as Buffer).toString('latin1');
          const count = Number(text);
          if (!/^\d+$/.test(text) || !Number.isSafeInteger(count)) throw new CommandError('ERR Invalid slot or number of keys');
          return array(keysInSlot(context.keyspace, slot, count).map(binary));
        },
      },
    });
    const config = subcommandHandler('CONFIG', {
      GET: {
        arity: -3,
        handler: (_context, args) => {
          const settings: Array<[string, string]> = [
            ['cluster-node-timeout', String(this.cluster.nodeTimeout)],
            ['cluster-require-full-coverage', 'yes'],
          ];
          const patterns = args.map((arg) => arg.toString('latin1').toLowerCase());
          return map(settings.filter(([name]) => patterns.some((pattern) => matchGlob(pattern, name))).map(([name, value]) => [bulk(name), bulk(value)]));
        },
      },
      RESETSTAT: {
        arity: 2,
        handler: () => {
          this.redirects.moved = 0;
          this.redirects.ask = 0;
          return OK;
        },
      },
    });
    return [
      command('CLUSTER', -2, [], cluster),
      // Only RESETSTAT (tests count redirects as they do on Redis, INFO errorstats) and GET of the cluster settings.
      command('CONFIG', -2, ['admin', 'noscript', 'loading', 'stale'], config),
      command('ASKING', 1, ['fast'], (context) => {
        this.flagsOf(context.client).asking = true;
        return OK;
      }),
      command('READONLY', 1, ['loading', 'stale', 'fast'], (context) => {
        this.flagsOf(context.client).readonly = true;
        return OK;
      }),
      command('READWRITE', 1, ['loading', 'stale', 'fast'], (context) => {
        this.flagsOf(context.client).readonly = false;
        return OK;
      }),
    ];
  }
}
