/** The ops a Ferrite server writes into the change log today (PROTOCOL.md §5). */
export type KnownChangeOp =
  | 'SET'
  | 'SETNX'
  | 'MSET'
  | 'APPEND'
  | 'INCR'
  | 'INCRBY'
  | 'DECR'
  | 'DECRBY'
  | 'GETDEL'
  | 'DEL'
  | 'UNLINK'
  | 'EXPIRE'
  | 'PEXPIRE'
  | 'PERSIST'
  | 'RENAME'
  | 'EXPIRED'
  | 'HSET'
  | 'HDEL'
  | 'HINCRBY'
  | 'LPUSH'
  | 'RPUSH'
  | 'LPOP'
  | 'RPOP'
  | 'SADD'
  | 'SREM'
  | 'ZADD'
  | 'ZREM'
  | 'ZINCRBY'
  | 'FLUSHDB'
  | 'FLUSHALL';

/**
 * The command that changed the key, upper case. Typed as the known ops plus any string, so a newer
 * server's op still type-checks while editors keep completing the known ones.
 */
export type ChangeOp = KnownChangeOp | (string & {});

import type { ChangeFeedCheckpoint } from './checkpoint.js';

/** One change of one key, as the server logged it. */
export interface ChangeEvent<Value extends string | Buffer = string> {
  /**
   * Strictly increasing from 1 within its change log ({@link log}). Always a safe integer: an id
   * beyond 2^53 − 1 cannot be represented exactly, so the feed fails with `CdcIdRangeError`
   * instead of rounding it. On a cluster each primary keeps its own log: an id means something
   * only with its log.
   */
  readonly id: number;
  /**
   * The id of the change log the event comes from (PROTOCOL.md §8.1): one per server, one per
   * primary on a cluster, kept across failovers. Absent with a server older than protocol v1.2.
   */
  readonly log?: string;
  /** On a cluster: the `CLUSTER MYID` of the primary that served the event. Absent on a single server. */
  readonly node?: string;
  /** When the server logged it, in milliseconds since the epoch (`new Date(event.timestamp)`). */
  readonly timestamp: number;
  /** The database number (`SELECT`). */
  readonly db: number;
  readonly op: ChangeOp;
  /** The key, as UTF-8 text; empty for `FLUSHDB`/`FLUSHALL`. */
  readonly key: string;
  /** The new value after a string write (`SET`, `INCR`, `APPEND`, …); `null` for every other op. */
  readonly value: Value | null;
}

/** Where a feed starts: `'latest'`, `'earliest'`, or a {@link ChangeFeedCheckpoint} saved from a feed. */
export type ChangeFeedStart = 'latest' | 'earliest' | ChangeFeedCheckpoint;

/**
 * What `onReconnect` is told each time a feed lost its connection and is about to reconnect, also
 * while `subscribe` is still setting it up.
 */
export interface ChangeFeedReconnect {
  /** What interrupted the feed: a lost connection, a poll past its deadline, a subscription the server dropped. */
  readonly error: unknown;
  /** Consecutive failures so far, from 1; back to 1 once the feed is set up and after a poll succeeds. */
  readonly attempt: number;
  /** How long the feed waits before reconnecting (backoff: about 25 ms doubling to 1 s). */
  readonly delayMs: number;
  /** On a cluster: the primary (`CLUSTER MYID`) this part of the feed was reading from. */
  readonly node?: string;
  /** The change log this part of the feed follows, when the server names it (v1.2). */
  readonly log?: string;
}

/** What `subscribe` and `onChange` take, whatever the value type. */
export interface SubscribeOptions {
  /** Only these ops (case-insensitive), e.g. `['SET', 'DEL']`. Default: every op. */
  readonly events?: readonly ChangeOp[];
  /**
   * `'latest'` (default): events logged from the moment `subscribe` resolves (possibly a few just
   * before). `'earliest'`: from the oldest event the server still keeps. A checkpoint (a feed's
   * `checkpoint`, saved): right after the last event that feed handed over, on one server or on
   * every primary of a cluster. Rejects with `CdcPositionExpiredError` when the server no longer
   * keeps the events needed, and with `CdcPositionLostError` when the position itself is gone.
   */
  readonly from?: ChangeFeedStart;
  /** Ends the feed: the iterator finishes (`done`) and the server subscription is dropped. */
  readonly signal?: AbortSignal;
  /** Most events one poll fetches (`COUNT`), 1 to 10000. Default 100. */
  readonly batchSize?: number;
  /**
   * How long one poll waits on the server for an event (`BLOCK`), in ms, 1 to 60000. Default 1000.
   * Events arrive as soon as they are written either way; this only sets how often an idle feed
   * asks again. A poll with no reply within `blockMs` plus the client's deadline counts as a lost
   * connection.
   */
  readonly blockMs?: number;
  /**
   * Most events held for a caller that is not pulling, 1 to 1 000 000. Default 1000. Once full, the
   * feed stops polling until the caller takes some, so memory stays bounded; the server keeps the
   * rest in its log (see `lag()`).
   */
  readonly bufferSize?: number;
  /**
   * Called (synchronously; keep it quick, it must not throw) each time the feed lost its connection
   * and is about to reconnect: how a transient failure becomes visible. That includes a failure
   * while `subscribe` sets the feed up, which is retried until the call's deadline (the `timeout`
   * of the client or view it is called through). Errors that retrying cannot cure (the client
   * closed, authentication or permission refused, a server without CDC) are not reported here:
   * they end the iterator, or reject `subscribe`.
   */
  readonly onReconnect?: (reconnect: ChangeFeedReconnect) => void;
}

/** `subscribe` options with `binary: true`: values arrive as Buffers, byte for byte. */
export interface BinarySubscribeOptions extends SubscribeOptions {
  readonly binary: true;
}

/** `subscribe` options with `binary` absent or false: values arrive as UTF-8 text. */
export interface TextSubscribeOptions extends SubscribeOptions {
  readonly binary?: false;
}

/**
 * A live stream of changes to the keys matching a pattern. Iterate it with `for await`; stop it
 * with `break`, `close()`, the `signal`, `await using`, or by closing the client.
 *
 * Every matching event reaches the iterator exactly once, ids strictly increasing per log, however
 * often the connection drops in between. When the server can no longer serve the position, the
 * iterator throws `CdcPositionExpiredError` (the log moved past it) or `CdcPositionLostError`
 * (a failover rolled it back, the log was replaced, a primary left undrained) rather than skip.
 *
 * On a cluster the feed follows every primary and merges their logs: each log's events arrive
 * in that log's order, so the events of one key arrive in the order they were written, also
 * across a slot move; events of different logs are interleaved roughly by timestamp, with no
 * stronger order between them.
 */
export interface ChangeFeed<Value extends string | Buffer = string> extends AsyncIterableIterator<ChangeEvent<Value>>, AsyncDisposable {
  /**
   * Where this feed stands, as opaque text to save, whatever the topology:
   * `subscribe(pattern, { from: checkpoint })` resumes right after the last event handed to the
   * caller, on one server or on every primary of a cluster, losing and repeating nothing. Defined
   * from the moment `subscribe` resolves, and it moves past other keys' writes too, so a feed on a
   * quiet pattern never falls behind the log.
   */
  readonly checkpoint: ChangeFeedCheckpoint;
  /** How many events the server holds that this feed has not handed over yet (from `CDC.INFO`; other patterns' events included, as an upper bound). */
  lag(): Promise<number>;
  /** Ends the feed. Settles within about 100 ms whatever the server does; safe to call twice. */
  close(): Promise<void>;
}

/** What `onChange` hands back. */
export interface ChangeSubscription extends AsyncDisposable {
  /** A checkpoint right after the last event whose handler resolved (see `ChangeFeed.checkpoint`). */
  readonly checkpoint: ChangeFeedCheckpoint;
  /**
   * Resolves when the subscription ends by `close()`, the signal or the client closing; rejects
   * with the handler's error, or with the error that ended the feed (`CdcPositionExpiredError`,
   * `CdcPositionLostError`, a permanent failure).
   */
  readonly done: Promise<void>;
  /** Stops after the handler call in progress, if any. */
  close(): Promise<void>;
}

/** Called by `onChange` with each event, one at a time; the next event waits for the returned promise. */
export type ChangeHandler<Value extends string | Buffer = string> = (event: ChangeEvent<Value>) => void | Promise<void>;
