import { FerriteValidationError } from '@ferrite/core';

/**
 * A saved place in a change feed (its `checkpoint`): opaque text, safe to store anywhere (a
 * database column, a file, an environment variable) and to pass to
 * `subscribe(pattern, { from: checkpoint })` in this process or another. It names, for every
 * change log the feed follows (one on a server, one per primary on a cluster), the log's id, its
 * epoch and the first event not yet handed over. Typed by its prefix so that a misspelt
 * `'latest'` does not compile; text read back from storage is a `string`, so say what it is:
 * `{ from: saved as ChangeFeedCheckpoint }` (a damaged one is rejected at run time). Feeds write
 * `cdc2.` checkpoints and still read the `cdc1.` ones earlier versions wrote.
 */
export type ChangeFeedCheckpoint = `cdc2.${string}` | `cdc1.${string}`;

/** One log's place in a checkpoint. */
export interface LogPosition {
  /** The log's id (PROTOCOL.md §8.1); `undefined` for a server older than v1.2 and for `cdc1.` checkpoints. */
  readonly logId: string | undefined;
  /** The log's epoch when the position was read; `undefined` exactly when `logId` is. */
  readonly epoch: number | undefined;
  /** A cluster log without an id is named by its primary's `CLUSTER MYID`; `undefined` otherwise. */
  readonly node: string | undefined;
  /** The first event id not handed over yet (past other keys' events the server scanned). */
  readonly next: number;
  /**
   * The id of the last event handed over (`next − 1` at most): a failover that rolled back only
   * ids after it lost nothing this feed delivered, so the feed goes on rather than fail.
   */
  readonly lastHanded: number;
}

/** What a checkpoint holds: one place per log. */
export interface DecodedCheckpoint {
  readonly logs: readonly LogPosition[];
}

const PREFIX = 'cdc2.';
const LEGACY_PREFIX = 'cdc1.';
const LOG_ID = /^[0-9a-f]{40}$/;

/** Whether `value` is checkpoint text (not a guard: every checkpoint is a string, not every string one). */
export function isCheckpoint(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith(PREFIX) || value.startsWith(LEGACY_PREFIX));
}

export function encodeCheckpoint(decoded: DecodedCheckpoint): ChangeFeedCheckpoint {
  const body = { l: decoded.logs.map((log) => [log.logId ?? null, log.epoch ?? null, log.node ?? null, log.next, log.lastHanded]) };
  return `${PREFIX}${Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')}`;
}

function invalid(reason: string): FerriteValidationError {
  return new FerriteValidationError('from', `not a change feed checkpoint (${reason}); pass feed.checkpoint as it was saved`);
}

function nextId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw invalid('bad event id');
  return value;
}

function readBody(checkpoint: string, prefix: string): unknown {
  try {
    return JSON.parse(Buffer.from(checkpoint.slice(prefix.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid('unreadable');
  }
}

function readLog(entry: unknown): LogPosition {
  if (!Array.isArray(entry) || entry.length !== 5) throw invalid('unreadable');
  const [logId, epoch, node, next, lastHanded] = entry as unknown[];
  if (logId !== null && (typeof logId !== 'string' || !LOG_ID.test(logId))) throw invalid('bad log id');
  if ((logId === null) !== (epoch === null)) throw invalid('log id without epoch');
  if (epoch !== null && (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0)) throw invalid('bad epoch');
  if (node !== null && (typeof node !== 'string' || node.length === 0)) throw invalid('empty node id');
  const position = nextId(next);
  if (typeof lastHanded !== 'number' || !Number.isSafeInteger(lastHanded) || lastHanded < 0 || lastHanded >= position) throw invalid('bad event id');
  return { logId: logId ?? undefined, epoch: (epoch as number | null) ?? undefined, node: node ?? undefined, next: position, lastHanded };
}

/** A `cdc1.` place: the next id only, the last one handed over just before it. */
function legacyPosition(node: string | undefined, next: unknown): LogPosition {
  const position = nextId(next);
  return { logId: undefined, epoch: undefined, node, next: position, lastHanded: position - 1 };
}

/** `cdc1.`: `{ s: next }` from one server, `{ c: { [node id]: next } }` from a cluster; no log ids. */
function readLegacy(body: unknown): DecodedCheckpoint {
  if (typeof body !== 'object' || body === null) throw invalid('unreadable');
  if ('s' in body) return { logs: [legacyPosition(undefined, body.s)] };
  if ('c' in body && typeof body.c === 'object' && body.c !== null && !Array.isArray(body.c)) {
    const logs: LogPosition[] = [];
    for (const [node, next] of Object.entries(body.c)) {
      if (node.length === 0) throw invalid('empty node id');
      logs.push(legacyPosition(node, next));
    }
    return { logs };
  }
  throw invalid('unreadable');
}

/** Reads a checkpoint; a damaged or foreign one throws `FerriteValidationError` on `from`. */
export function decodeCheckpoint(checkpoint: ChangeFeedCheckpoint): DecodedCheckpoint {
  if (typeof checkpoint === 'string' && checkpoint.startsWith(LEGACY_PREFIX)) return readLegacy(readBody(checkpoint, LEGACY_PREFIX));
  if (!isCheckpoint(checkpoint)) throw invalid('unknown format');
  const body = readBody(checkpoint, PREFIX);
  if (typeof body !== 'object' || body === null || !('l' in body) || !Array.isArray(body.l)) throw invalid('unreadable');
  const logs = body.l.map(readLog);
  const seen = new Set<string>();
  for (const log of logs) {
    const name = log.logId ?? log.node ?? '';
    if (seen.has(name)) throw invalid('a log named twice');
    seen.add(name);
  }
  return { logs };
}
