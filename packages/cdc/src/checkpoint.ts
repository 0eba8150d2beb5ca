import { FerriteValidationError } from '@ferrite/core';

/**
 * A saved place in a change feed (a feed's `checkpoint`; on a cluster also its `position`):
 * opaque text, safe to store anywhere (a database column, a file, an environment variable) and to
 * pass to `subscribe(pattern, { from: checkpoint })` in this process or another. It names the first event not yet handed over: on one server one
 * event id, on a cluster one id per primary (by `CLUSTER MYID`). Typed by its `cdc1.` prefix so
 * that a misspelt `'latest'` does not compile; text read back from storage is a `string`, so say
 * what it is: `{ from: saved as ChangeFeedCheckpoint }` (a damaged one is rejected at run time).
 */
export type ChangeFeedCheckpoint = `cdc1.${string}`;

/** Where a checkpoint resumes: one server's next id, or each cluster node's. */
export type DecodedCheckpoint =
  | { readonly kind: 'single'; readonly next: number }
  | { readonly kind: 'cluster'; readonly nodes: ReadonlyMap<string, number> };

const PREFIX = 'cdc1.' as const;

/** Whether `value` is checkpoint text (not a guard: every checkpoint is a string, not every string one). */
export function isCheckpoint(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export function encodeCheckpoint(decoded: DecodedCheckpoint): ChangeFeedCheckpoint {
  const body = decoded.kind === 'single' ? { s: decoded.next } : { c: Object.fromEntries(decoded.nodes) };
  return `${PREFIX}${Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')}`;
}

function invalid(reason: string): FerriteValidationError {
  return new FerriteValidationError('from', `not a change feed checkpoint (${reason}); pass feed.checkpoint as it was saved`);
}

function nextId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw invalid('bad event id');
  return value;
}

/** Reads a checkpoint; a damaged or foreign one throws `FerriteValidationError` on `from`. */
export function decodeCheckpoint(checkpoint: ChangeFeedCheckpoint): DecodedCheckpoint {
  if (!isCheckpoint(checkpoint)) throw invalid('unknown format');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(checkpoint.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid('unreadable');
  }
  if (typeof body !== 'object' || body === null) throw invalid('unreadable');
  if ('s' in body) return { kind: 'single', next: nextId(body.s) };
  if ('c' in body && typeof body.c === 'object' && body.c !== null && !Array.isArray(body.c)) {
    const nodes = new Map<string, number>();
    for (const [id, next] of Object.entries(body.c)) {
      if (id.length === 0) throw invalid('empty node id');
      nodes.set(id, nextId(next));
    }
    return { kind: 'cluster', nodes };
  }
  throw invalid('unreadable');
}
