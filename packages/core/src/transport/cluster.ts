import { FerriteConnectionError, FerriteValidationError, isConnectionError } from '../errors.js';
import type { Reply } from '../reply.js';
import type {
  BatchEntry,
  DedicatedOptions,
  DedicatedTransport,
  ProtocolVersion,
  Transport,
  TransportNode,
  TransportSendOptions,
  TransportTopology,
  WireCommand,
} from '../transport.js';
import type { Arg } from '../args.js';
import { asFerriteError, settleEach } from './batch.js';
import { TransportLifecycle } from './lifecycle.js';
import { notApplied, pauseBefore, pauseUnlessAbandoned, redirectOf, type Redirect } from './not-applied.js';
import { CommandKeyResolver, isReadCommand, scriptKey } from './routing.js';
import { describeValue } from '../validate.js';

/** Where a cluster transport sends commands that only read. */
export type ReadFrom = 'primary' | 'replica';

/** Where the driver should send one command. */
export interface ClusterRoute {
  /** The key whose slot decides the node; `null`: any primary. */
  readonly key: Arg | null;
  /** The command only reads and the transport was asked to read from replicas. */
  readonly replica: boolean;
}

/** What a driver's cluster side is asked for a dedicated connection. */
export interface ClusterDedicatedOptions {
  /** The primary with this id (from `primaries()`); wins over `key`. */
  readonly node?: string;
  /** The primary serving this key's slot. Neither: any primary. */
  readonly key?: Arg;
  /** Fires when the caller stops waiting: stop connecting and release what was opened. */
  readonly signal?: AbortSignal;
  /** Runs once the returned connection has closed. */
  readonly onClosed: () => void;
}

/**
 * What a cluster transport needs from a driver's own cluster client. The driver keeps the
 * topology: its slot map, its connection to every node, its reading of the slot map again on a
 * timer, after redirects and when a node is lost, its seeds. Core adds only what the driver
 * cannot know: the routing key of each Ferrite command and the retry of replies that mean "not
 * applied" (see {@link ClusterTransport}).
 */
export interface ClusterDriver {
  /** The driver's name (`ioredis`), for messages. */
  readonly name: string;
  readonly protocol: ProtocolVersion;
  /** Whether the driver's cluster client can still send (not closed by its user): a refused command is tried again only then. */
  readonly open: boolean;
  /**
   * Sends one command where the driver routes a command whose first key is `route.key`, on the
   * connection the driver keeps to that node. `options.signal` (core's deadline) is read only when
   * the command has to wait: core makes the signal on first read, and a call that goes out at once
   * should not pay for one. Rejects with a `FerriteConnectionError` whose
   * `maybeApplied` is `false` when it did not send it (no node known for the slot yet, a node
   * connection that could not be opened); a redirect the driver does not follow rejects as the
   * server's reply.
   */
  send(command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply>;
  /**
   * Sends one command again after the redirect it got (`route` is where it was sent): on the
   * node the redirect names (after `ASKING` for `ASK`), or the driver's own way of following it.
   * For drivers that do not follow redirects for every command (ioredis never does for commands
   * it does not know); rejects as `send` does when it knows no such node.
   */
  sendRedirected?(redirect: Redirect, command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply>;
  /** Sends on the connection to the primary with this id, with no routing or redirect. */
  sendToNode(id: string, command: WireCommand, options: TransportSendOptions | undefined): Promise<Reply>;
  /**
   * The primaries as the driver knows them now, each named by its `CLUSTER MYID`: those its view
   * of the cluster (slot map, node list) names, whether or not a connection to them is up at the
   * moment. A primary leaves the list when that view stops naming it, never because its connection
   * dropped (a plugin would take that for a node that left the cluster).
   */
  primaries(): Promise<readonly TransportNode[]>;
  /** A new connection of its own to a primary, opened like the driver's own connection to it. */
  dedicated(options: ClusterDedicatedOptions): Promise<DedicatedTransport>;
  /**
   * Tells the driver the cluster may have changed (a `CLUSTERDOWN`, a `MOVED`, a lost node): a
   * driver that reads its slot map again on demand does so now. Returns at once.
   */
  topologyChanged(): void;
  /** Frees what the driver side holds (its own cluster client; the user's when asked). */
  close(): Promise<void>;
}

export interface ClusterTransportOptions {
  /** Default `'primary'`. `'replica'`: commands that only read go to a replica of their shard. */
  readonly readFrom?: ReadFrom;
}

/** How long a command that was refused as not applied keeps being tried when its caller set no deadline. */
const MAX_NOT_APPLIED_WAIT_MS = 15_000;

/** Checks `readFrom` for a cluster transport's options (a typed error for anything else). */
export function readFromOption(value: unknown): ReadFrom {
  if (value === undefined) return 'primary';
  if (value === 'primary' || value === 'replica') return value;
  throw new FerriteValidationError('readFrom', `expected 'primary' or 'replica', got ${describeValue(value)}`);
}

/**
 * The cluster policy every Ferrite cluster transport follows, whatever the driver:
 *
 * - Topology is the driver's: its slot map, node connections, failover detection, reconnection
 *   and seeds, exactly as for its own commands. Core opens no connection of its own.
 * - Each command goes where the driver routes a command whose first key is the command's
 *   `routingKey` (from its definition), the first key of a script call, or, for a standard
 *   command sent raw, the key `COMMAND INFO` places (asked once per command name, through the
 *   driver). Keyless commands go to any primary.
 * - `MOVED`, `ASK`, `CLUSTERDOWN` and `TRYAGAIN` mean the command was not applied: it is sent
 *   again, for every command (retryable or not), with short pauses, until its caller's deadline
 *   or signal ends the wait; it then rejects with `maybeApplied: false`. A driver that does not
 *   follow redirects for commands it does not know (ioredis) gets the node named by the redirect
 *   at once (after `ASKING` for `ASK`). The driver is told to read its slot map again after a
 *   `MOVED`, a `CLUSTERDOWN` or a lost connection.
 * - A call whose caller gives up while its route is being found is never sent.
 * - `CROSSSLOT` rejects with `FerriteCrossSlotError`; nothing ran.
 * - `readFrom: 'replica'`: commands that only read (definitions marked `readonly`, standard read
 *   commands) go to a replica of the shard; a shard without replicas serves them from its primary.
 * - Batches are pipelined: every entry is sent at once, each to its node, and settles on its own.
 */
export class ClusterTransport implements Transport {
  readonly name: string;
  readonly topology: TransportTopology = 'cluster';
  readonly #driver: ClusterDriver;
  readonly #readFrom: ReadFrom;
  readonly #lifecycle: TransportLifecycle;
  readonly #keys: CommandKeyResolver;

  constructor(driver: ClusterDriver, options: ClusterTransportOptions = {}) {
    this.name = driver.name;
    this.#driver = driver;
    this.#readFrom = readFromOption(options.readFrom);
    this.#lifecycle = new TransportLifecycle(driver.name);
    this.#keys = new CommandKeyResolver((command) => this.#sendRouted(command, { key: null, replica: false }, undefined));
  }

  get protocol(): ProtocolVersion {
    return this.#driver.protocol;
  }

  nodes(): Promise<readonly TransportNode[]> {
    this.#lifecycle.assertOpen();
    return this.#driver.primaries();
  }

  send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    if (options?.node !== undefined) return this.#driver.sendToNode(options.node, command, options);
    // Known at once in the common case: the command is then handed to the driver in this very
    // turn, so commands sent one after the other reach a node in that order.
    const key = this.#knownKey(command);
    if (key !== undefined) return this.#sendRouted(command, this.#route(command, key), options);
    return this.#sendOnceRouted(command, options);
  }

  async batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    this.#lifecycle.assertOpen();
    if (options?.node === undefined && commands.some((command) => this.#knownKey(command) === undefined)) {
      const signal = options?.signal;
      // Every route is found before the first entry goes out, so the entries leave in order.
      const found = await Promise.all(commands.map((command) => this.#routingKey(command, signal).then(() => undefined, (error: unknown) => error)));
      const unrouted = found.find((error) => error !== undefined);
      if (unrouted !== undefined || signal?.aborted) {
        const error = signal?.aborted ? abandoned(this.name) : notSent(unrouted);
        return commands.map(() => ({ ok: false, error: asFerriteError(error, this.name) }));
      }
    }
    // Sent in one go: each driver writes the commands issued in one turn to a node together.
    return settleEach(
      commands.map((command) => this.send(command, options)),
      this.name,
    );
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    let opened: DedicatedTransport | undefined;
    const connection = await this.#lifecycle
      .track(
        this.#driver.dedicated({
          node: options?.node,
          key: options?.routingKey,
          signal: options?.signal,
          onClosed: () => opened && this.#lifecycle.forget(opened),
        }),
      )
      .catch((error: unknown) => {
        // A node the driver no longer lists (its connection was cut) comes back only with a new
        // slot table: ask for one, as a failed send does, or a caller retrying waits on a timer.
        if (isConnectionError(error)) this.#driver.topologyChanged();
        throw error;
      });
    opened = connection;
    if (this.#lifecycle.closed) {
      await connection.close();
      this.#lifecycle.assertOpen();
    }
    return this.#lifecycle.adopt(connection);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(() => this.#driver.close());
  }

  #knownKey(command: WireCommand): Arg | null | undefined {
    const script = command.routingKey === undefined ? scriptKey(command) : undefined;
    return script !== undefined ? script : this.#keys.knownRoutingKey(command);
  }

  #route(command: WireCommand, key: Arg | null): ClusterRoute {
    return { key, replica: this.#readFrom === 'replica' && isReadCommand(command) };
  }

  async #routingKey(command: WireCommand, signal: AbortSignal | undefined): Promise<Arg | null> {
    const known = this.#knownKey(command);
    if (known !== undefined) return known;
    return untilAbandoned(this.#keys.routingKey(command), signal, this.name);
  }

  /** For a standard command whose key position is not known yet: `COMMAND INFO` first. */
  async #sendOnceRouted(command: WireCommand, options: TransportSendOptions | undefined): Promise<Reply> {
    const signal = options?.signal;
    let key: Arg | null;
    try {
      key = await this.#routingKey(command, signal);
    } catch (error) {
      throw notSent(error);
    }
    // The caller gave up while the route was being found: the command is not sent late, after
    // the caller was told it timed out or was aborted.
    if (signal?.aborted) throw abandoned(this.name);
    return this.#sendRouted(command, this.#route(command, key), options);
  }

  /**
   * Sends through the driver until the command is applied, fails in a way that may have applied
   * it, or its caller stops waiting. Only replies that prove nothing ran are tried again.
   */
  async #sendRouted(command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply> {
    const driver = this.#driver;
    const started = Date.now();
    let redirect: Redirect | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return redirect && driver.sendRedirected ? await driver.sendRedirected(redirect, command, route, options) : await driver.send(command, route, options);
      } catch (error) {
        if (!notApplied(error) || !driver.open) {
          // Lost on the way (a node down): the driver may not have noticed yet.
          if (isConnectionError(error)) driver.topologyChanged();
          throw error;
        }
        // Read only now: a call that went through at once never made core create its signal.
        const signal = options?.signal;
        if (signal?.aborted || this.#lifecycle.closed) {
          throw new FerriteConnectionError(`${this.name}: the caller stopped waiting before the cluster took the command`, { cause: error, maybeApplied: false });
        }
        const followed = redirect;
        redirect = redirectOf(error);
        if (redirect?.kind !== 'ASK') driver.topologyChanged();
        // A redirect is followed at once, once; a node that redirects again, or a cluster that
        // cannot take the command yet, gets a pause first.
        if (redirect && driver.sendRedirected && !followed) continue;
        redirect = undefined;
        if (Date.now() - started > MAX_NOT_APPLIED_WAIT_MS) throw error;
        await pauseUnlessAbandoned(pauseBefore(attempt), signal, this.#lifecycle, this.name, error);
      }
    }
  }
}

/** A failure before the command was written (routing, connecting): it never ran. */
function notSent(error: unknown): unknown {
  return isConnectionError(error) && error.maybeApplied ? new FerriteConnectionError(error.message, { cause: error, maybeApplied: false }) : error;
}

function abandoned(name: string): FerriteConnectionError {
  return new FerriteConnectionError(`${name}: the caller stopped waiting before the command was sent`, { maybeApplied: false });
}

/** `work`, unless `signal` fires first: then a rejection saying the command was never sent. */
function untilAbandoned<T>(work: Promise<T>, signal: AbortSignal | undefined, name: string): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abandoned(name));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
