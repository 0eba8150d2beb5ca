import { cdcCommands } from './cdc/commands.js';
import { ChangeLog } from './cdc/change-log.js';
import type { ClusterHooks } from './cluster-hooks.js';
import { connectionCommands } from './commands/connection.js';
import { hashCommands } from './commands/hashes.js';
import { keyCommands } from './commands/keys.js';
import { listCommands } from './commands/lists.js';
import { serverCommands } from './commands/server.js';
import { setCommands } from './commands/sets.js';
import { sortedSetCommands } from './commands/sorted-sets.js';
import { stringCommands } from './commands/strings.js';
import { transactionCommands } from './commands/transactions.js';
import { crdtCommands } from './crdt/commands.js';
import { CrdtStore } from './crdt/crdt-store.js';
import { Keyspace } from './database.js';
import { Dispatcher } from './dispatch.js';
import type { EngineCommandSpec, EngineContext } from './engine-context.js';
import type { EngineReply } from './reply.js';
import { defaultEmbedder } from './semantic/embedder.js';
import { semanticCommands } from './semantic/commands.js';
import { Session } from './session.js';
import { vectorCommands } from './vector/commands.js';
import { WatchRegistry } from './watches.js';

/** Turns text into an embedding for the semantic cache. */
export type Embedder = (text: string) => Float32Array;

/** How to build an emulator; every option has a default that suits tests. */
export interface EmulatorOptions {
  /** Milliseconds since the epoch; inject one so TTL tests need no sleeping. Default `Date.now`. */
  readonly clock?: () => number;
  /** The semantic cache's embedder. Default: a deterministic word and n-gram hashing embedder. */
  readonly embedder?: Embedder;
  /** When set, clients must AUTH (or HELLO … AUTH) before anything else. */
  readonly password?: string;
  /** Events the change log keeps. Default 100000. */
  readonly cdcCapacity?: number;
  /** Default TTL in seconds of SEMANTIC.SET entries without EX. Default: none. */
  readonly semanticTtl?: number;
  /** Number of databases (`SELECT 0..n-1`). Default 16. */
  readonly databases?: number;
}

export interface SessionOptions {
  readonly protocol?: 2 | 3;
  /** `ip:port` of the peer, shown by CLIENT LIST. */
  readonly address?: string;
}

/**
 * An in-memory Ferrite: databases, the command table, the change log and the connected sessions.
 * The TCP server and the in-process transport both drive it through {@link createSession} and
 * {@link execute}; it never touches a socket.
 */
export class Emulator {
  readonly changeLog: ChangeLog;
  readonly startedAt: number;
  private readonly clock: () => number;
  private readonly embedder: Embedder;
  private readonly semanticTtl: number | undefined;
  private readonly databases: Keyspace[];
  private readonly dispatcher: Dispatcher;
  private readonly sessions = new Map<number, Session>();
  private nextSessionId = 1;
  private password: string | undefined;
  private readonly contexts = new WeakMap<Session, Map<number, EngineContext>>();
  /** WATCH state of every session. */
  readonly watches = new WatchRegistry();
  /** Set when this emulator is a node of an emulator cluster. */
  private clusterHooks: ClusterHooks | undefined;
  /** Counters reported by INFO stats. */
  readonly stats = { connectionsReceived: 0, commandsProcessed: 0 };

  constructor(options: EmulatorOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.embedder = options.embedder ?? defaultEmbedder;
    this.password = options.password;
    this.semanticTtl = options.semanticTtl;
    const databaseCount = options.databases ?? 16;
    if (!Number.isInteger(databaseCount) || databaseCount < 1) {
      throw new RangeError(`databases must be a positive integer, got ${databaseCount}`);
    }
    this.changeLog = new ChangeLog({ capacity: options.cdcCapacity ?? 100_000, now: () => this.clock() });
    this.databases = Array.from(
      { length: databaseCount },
      (_, index) =>
        new Keyspace({
          index,
          now: () => this.clock(),
          onExpired: (database, key) => this.recordChange(database.index, 'EXPIRED', key, null),
        }),
    );
    this.startedAt = this.clock();
    this.dispatcher = new Dispatcher(
      (session) => this.contextFor(session),
      () => this.password !== undefined,
    );
    this.dispatcher.register([
      ...connectionCommands,
      ...serverCommands,
      ...keyCommands,
      ...stringCommands,
      ...hashCommands,
      ...listCommands,
      ...setCommands,
      ...sortedSetCommands,
      ...transactionCommands,
      ...vectorCommands,
      ...semanticCommands,
      ...crdtCommands,
      ...cdcCommands,
    ]);
  }

  /**
   * Makes this emulator a node of an emulator cluster (`startEmulatorCluster` calls it once, before
   * serving): adds the CLUSTER commands and the slot checks. Not meant to be called directly.
   * @internal
   */
  attachCluster(hooks: ClusterHooks): void {
    if (this.clusterHooks !== undefined) throw new Error('this emulator is already a cluster node');
    this.clusterHooks = hooks;
    this.dispatcher.register(hooks.commands);
    this.dispatcher.cluster = hooks;
  }

  /** The cluster this emulator is a node of, or undefined when standalone. */
  get cluster(): ClusterHooks | undefined {
    return this.clusterHooks;
  }

  /** The emulator's current time in ms since the epoch, from its `clock`. */
  now(): number {
    return this.clock();
  }

  get databaseCount(): number {
    return this.databases.length;
  }

  /** The database `index` (0-based). */
  database(index: number): Keyspace {
    const database = this.databases[index];
    if (database === undefined) throw new RangeError(`no database ${index}`);
    return database;
  }

  get requiresPassword(): boolean {
    return this.password !== undefined;
  }

  /** Whether `AUTH user password` succeeds (user `default` only). */
  checkPassword(user: string, password: string): boolean {
    return this.password !== undefined && user === 'default' && password === this.password;
  }

  /** Every registered command, built-in and extension, for COMMAND INFO. */
  commands(): EngineCommandSpec[] {
    return this.dispatcher.all();
  }

  /** The registered command called `name` (any case), or undefined. */
  command(name: string): EngineCommandSpec | undefined {
    return this.dispatcher.lookup(name);
  }

  /** Opens a session (one per connection). Close it with {@link closeSession}. */
  createSession(options: SessionOptions = {}): Session {
    const session = new Session({
      id: this.nextSessionId++,
      protocol: options.protocol ?? 2,
      authenticated: this.password === undefined,
      createdAt: this.clock(),
      ...(options.address === undefined ? {} : { address: options.address }),
    });
    this.sessions.set(session.id, session);
    this.stats.connectionsReceived++;
    session.onClose(() => this.sessions.delete(session.id));
    return session;
  }

  /** Closes a session: its CDC subscriptions and pending waits end with it. */
  closeSession(session: Session): void {
    session.close();
  }

  /** Sessions still open, oldest first (CLIENT LIST). */
  openSessions(): Session[] {
    return [...this.sessions.values()];
  }

  /** The open session with this id (CLIENT ID), or undefined. */
  session(id: number): Session | undefined {
    return this.sessions.get(id);
  }

  /** Runs one command (`argv[0]` is the name) for `session`. */
  execute(session: Session, argv: readonly Buffer[]): EngineReply | Promise<EngineReply> {
    this.stats.commandsProcessed++;
    return this.dispatcher.execute(session, argv);
  }

  /** EXEC for `session` (used by the EXEC command). */
  executeTransaction(session: Session): EngineReply | Promise<EngineReply> {
    return this.dispatcher.executeTransaction(session);
  }

  /** The active expiry sweep over every database; each removed key emits a CDC `EXPIRED` event. */
  expireDue(): number {
    let removed = 0;
    for (const database of this.databases) removed += database.expireDue();
    return removed;
  }

  /**
   * Appends a change event (docs/protocol.md#change-data-capture) and marks the key changed for
   * WATCH. A cluster replica appends nothing of its own: its log copies its primary's (§8.1).
   */
  recordChange(db: number, op: string, key: string, value: Buffer | null): void {
    if (key !== '') this.watches.touch(db, key);
    if (this.clusterHooks?.role !== 'replica') this.changeLog.append({ db, op, key, value });
  }

  /**
   * The op-ids the CRDT counter at `key` remembers (PROTOCOL.md §4), oldest first; empty when the
   * key holds no counter. For tests: which increments reached a node (a replica, after a failover).
   */
  crdtOpIds(key: string, db = 0): string[] {
    const value = this.database(db).extension('crdt', () => new CrdtStore()).counter(key, false);
    return value === undefined ? [] : value.rememberedOpIds();
  }

  /** Empties database `index` (FLUSHDB, FLUSHALL), failing the EXEC of whoever watched a key in it. */
  flushDatabase(index: number): void {
    const database = this.database(index);
    this.watches.touchFlushed(index, (key) => database.has(key));
    database.clear();
  }

  private contextFor(session: Session): EngineContext {
    // One context object per (session, database): handlers may keep no state in it, so reuse is safe.
    let byDb = this.contexts.get(session);
    if (byDb === undefined) {
      byDb = new Map();
      this.contexts.set(session, byDb);
    }
    const existing = byDb.get(session.selectedDb);
    if (existing !== undefined) return existing;
    const keyspace = this.database(session.selectedDb);
    const emulator = this;
    const context: EngineContext = {
      emulator,
      keyspace,
      db: keyspace,
      client: session,
      session,
      signal: session.signal,
      embed: this.embedder,
      semanticDefaultTtl: this.semanticTtl,
      changeLog: this.changeLog,
      now: () => emulator.clock(),
      recordChange: (op, key, value) => emulator.recordChange(keyspace.index, op, key, value),
    };
    byDb.set(session.selectedDb, context);
    return context;
  }
}
