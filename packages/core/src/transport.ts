import type { Arg } from './args.js';
import type { FerriteError } from './errors.js';
import type { Reply } from './reply.js';

/** A command ready for the wire: the `wire` of {@link prepareCommand}'s result, or what `ferrite.send` builds. */
export interface WireCommand {
  /** The command name as sent (`SET`, `VECTOR.SEARCH`). Multi-word commands put the rest in `args`. */
  readonly name: string;
  readonly args: readonly Arg[];
  /**
   * The key that decides the cluster slot. `undefined`: the transport works it out for standard
   * commands (from the driver or `COMMAND INFO`); `null`: the command has no key (any node will do).
   */
  readonly routingKey?: Arg | null;
  /** Ask for every string in the reply as a `Buffer`. */
  readonly binary?: boolean;
  /** The command only reads: a cluster transport may send it to a replica when configured to. */
  readonly readonly?: boolean;
}

/** One settled entry of `Transport.batch`: its reply, or its own error. */
export type BatchEntry = { readonly ok: true; readonly value: Reply } | { readonly ok: false; readonly error: FerriteError };

/** What a transport reaches: one server, or a cluster (see {@link Transport.topology}). */
export type TransportTopology = 'single' | 'cluster';

/** RESP2 or RESP3. */
export type ProtocolVersion = 2 | 3;

/**
 * What core hands a transport with each call. Core owns deadlines and cancellation; a transport
 * need not read this, but one that does makes errors more precise. Read its fields where they are
 * needed rather than copying the object (`{ ...options }`): it may be core's own record of the
 * call, whose `signal` is made on first read and is not an own property.
 */
export interface TransportSendOptions {
  /**
   * Fires when the caller no longer waits (deadline passed, caller aborted, client closing). A
   * transport that can still take the command back (not yet written: queued while reconnecting)
   * should drop it and reject with an error whose `maybeApplied` is `false`. A command already
   * written cannot be taken back; it may be left to settle on its own.
   *
   * The signal belongs to this one call (its retries included): it is never handed to another
   * call, fires at most once, and never after the call settled. A listener left on it (even
   * without `{ once: true }`, never removed) is released with the call and fires for no other.
   * Core makes it on first read: a transport that reads it only when it can still take a command
   * back costs nothing more.
   */
  readonly signal?: AbortSignal;
  /**
   * Send on the connection of this node (a {@link TransportNode.id} from `nodes()`), with no
   * routing: for commands that must reach every primary (listing what each node holds) or one
   * node's own state (its change log). A redirect the node answers with is not followed; it
   * rejects as the server's error. An unknown id rejects with a `FerriteConnectionError`.
   */
  readonly node?: string;
}

/**
 * A primary node as a transport sees it. On a cluster, `id` is the node's `CLUSTER MYID` (stable
 * across reconnects and address changes); on a single node it is stable for the transport's life
 * (`host:port` for a TCP server, `memory` in process).
 */
export interface TransportNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** The address a transport sends to, for tracing (`server.address`, `server.port`, `db.namespace`). */
export interface TransportServer {
  /** Host name, IP address or Unix socket path. */
  readonly address: string;
  /** Absent for a Unix socket. */
  readonly port?: number;
  /** The logical database the connection was opened on (`SELECT` index). */
  readonly database?: number;
}

/** Where a dedicated connection should go. */
export interface DedicatedOptions {
  /** In a cluster, open the connection to the node that owns this key's slot (default: any primary). */
  readonly routingKey?: Arg;
  /** Open the connection to this node (a {@link TransportNode.id} from `nodes()`); wins over `routingKey`. */
  readonly node?: string;
  /**
   * Set by core: fires when the caller stops waiting for the connection (deadline, abort, close).
   * A transport should then stop connecting and release what it opened.
   */
  readonly signal?: AbortSignal;
}

/**
 * How a Ferrite client reaches a server. Implementations: `@ferrite/ioredis`, `@ferrite/node-redis`,
 * and the in-process `memoryTransport` of `@ferrite/emulator`.
 *
 * What core promises a transport (there are no other rules):
 * - each call gets options of its own; their `signal` is that call's alone (see
 *   {@link TransportSendOptions.signal}), so listeners need no removal for correctness;
 * - core bounds every call by its deadline and settles the caller's promise itself: a transport
 *   need not time anything out, and a late outcome after that is dropped;
 * - core retries only the commands whose definitions say they are safe to retry, and only after
 *   a `FerriteConnectionError`; anything else a transport throws that is not a Ferrite error is
 *   treated as a defect (`FerriteProtocolError`), never retried;
 * - `close()` is called once, after the plugins' cleanups.
 *
 * Contract, checked by the shared conformance suite:
 * - replies are normalised as {@link Reply} describes, identically on every driver and protocol;
 * - an error reply rejects with a `FerriteReplyError` carrying the server's text and the command
 *   name but not the arguments; connection loss rejects with a `FerriteConnectionError`;
 * - arguments are binary-safe;
 * - a driver never sends a command twice on its own (no resend after a reconnect): core retries
 *   the commands that are safe to retry;
 * - every call settles, even when the connection drops or the server stops answering; `close()`
 *   settles within a second whatever the server does and settles the calls still pending.
 */
export interface Transport {
  /** Short name of the implementation (`ioredis`, `node-redis`, `memory`), for messages and logs. */
  readonly name: string;
  /** The protocol version of the connection: 2 or 3. */
  readonly protocol: ProtocolVersion;
  /** The one server this transport talks to, when it knows it (not for a cluster); reported by tracing. */
  readonly server?: TransportServer;
  /**
   * Whether the transport reaches one server (`'single'`, also when absent) or a cluster of them
   * (`'cluster'`: commands are routed by slot, `nodes()` lists every primary). Read it rather
   * than guessing from `nodes().length`: a cluster may have one primary, and a single server
   * behind a cluster-aware proxy is still one node.
   */
  readonly topology?: TransportTopology;
  /** Sends one command and resolves with its normalised reply. */
  send(command: WireCommand, options?: TransportSendOptions): Promise<Reply>;
  /** Pipelined, not atomic: every entry settles with its own reply or error, in order. */
  batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]>;
  /**
   * The primaries behind the transport, one entry per node (one on a single node). On a cluster
   * it reflects the driver's current view of the topology: every primary it names, also one
   * whose connection is down for now (a node missing here has left, as far as the driver knows).
   * Optional for hand-written transports: core treats a transport without it as one node (see
   * `PluginContext.nodes`).
   */
  nodes?(): Promise<readonly TransportNode[]>;
  /** A new connection of its own, for blocking or long calls and per-connection state (CDC, SELECT). */
  dedicated(options?: DedicatedOptions): Promise<DedicatedTransport>;
  /** Releases what the transport opened. A driver client the user passed in is closed only if the user asked. */
  close(): Promise<void>;
}

/** A transport over one connection that the caller owns and must close. */
export interface DedicatedTransport extends Transport, AsyncDisposable {}
