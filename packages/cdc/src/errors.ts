import { FerriteError, FerriteProtocolError, FerriteReplyError, isReplyError, type FerriteErrorOptions } from '@ferrite/core';

/**
 * The server no longer keeps the events a feed needs (its log has moved on past them). Nothing was
 * skipped: resume from `oldestRetainedId` to accept the gap knowingly, or rebuild from a snapshot.
 */
export class CdcPositionExpiredError extends FerriteReplyError {
  static override readonly brand: string = 'CdcPositionExpiredError';
  /** The oldest event id the server still keeps. */
  readonly oldestRetainedId: number;

  constructor(command: string, serverMessage: string, options?: FerriteErrorOptions) {
    super(command, serverMessage, options);
    const stated = /oldest retained event is (\d+)/i.exec(serverMessage);
    this.oldestRetainedId = stated ? Number(stated[1]) : 0;
  }
}

/**
 * Why a position can no longer be served:
 * - `'rolled-back'`: a failover dropped events this feed had already handed over (the old primary
 *   logged them, its replica had not copied them); their ids now name other events.
 * - `'log-replaced'`: the server serves another log than the one the position was read in (a
 *   server restarted without its data starts a new log).
 * - `'node-departed'`: a primary left the cluster before the feed had fetched all of its events.
 */
export type CdcPositionLostReason = 'rolled-back' | 'log-replaced' | 'node-departed';

/** What a {@link CdcPositionLostError} says was lost. */
export interface CdcPositionLost {
  readonly reason: CdcPositionLostReason;
  /** The log whose events are lost; `undefined` for a position saved before logs had ids (a `cdc1.` checkpoint). */
  readonly logId: string | undefined;
  /** The first lost event id in that log. */
  readonly firstLostId: number;
  /** The last lost event id, when it is known (`undefined`: everything from `firstLostId` on). */
  readonly lastLostId: number | undefined;
}

function describeLoss(loss: CdcPositionLost): string {
  const ids = loss.lastLostId === undefined ? `from ${loss.firstLostId} on` : `${loss.firstLostId} to ${loss.lastLostId}`;
  const log = loss.logId === undefined ? 'the log' : `log ${loss.logId}`;
  switch (loss.reason) {
    case 'rolled-back':
      return `a failover rolled back events ${ids} of ${log} that this feed had already handed over`;
    case 'log-replaced':
      return `${log} is gone (the server serves a new log, e.g. after a restart without its data): events ${ids} cannot be read`;
    case 'node-departed':
      return `the primary serving ${log} left before this feed fetched events ${ids}`;
  }
}

/**
 * The position a feed stands at no longer exists on the server for a reason other than the log's
 * bound (that one is {@link CdcPositionExpiredError}): rolled back by a failover, a log replaced by
 * a restart, or a primary gone before it was drained. The feed never skips or repeats silently; it
 * ends with this error after the events it had already fetched. `cause` is the server's reply when
 * the server stated it.
 */
export class CdcPositionLostError extends FerriteError implements CdcPositionLost {
  static override readonly brand: string = 'CdcPositionLostError';
  readonly reason: CdcPositionLostReason;
  readonly logId: string | undefined;
  readonly firstLostId: number;
  readonly lastLostId: number | undefined;

  constructor(loss: CdcPositionLost, options?: FerriteErrorOptions) {
    super('REPLY', `CDC position lost: ${describeLoss(loss)}`, options);
    this.reason = loss.reason;
    this.logId = loss.logId;
    this.firstLostId = loss.firstLostId;
    this.lastLostId = loss.lastLostId;
  }
}

/** The server sent an event id beyond 2^53 − 1, which a JavaScript number cannot hold exactly. */
export class CdcIdRangeError extends FerriteProtocolError {
  static override readonly brand: string = 'CdcIdRangeError';
  readonly id: bigint;

  constructor(id: bigint) {
    super(`CDC event id ${id} is beyond Number.MAX_SAFE_INTEGER; this client cannot follow it without skipping or repeating events`);
    this.id = id;
  }
}

/** Where a subscription asked to start, to say what a refusal lost. */
export interface RequestedPosition {
  readonly logId: string | undefined;
  /** The first id the feed had not fetched. */
  readonly next: number;
  /** The last id the feed handed over. */
  readonly lastHanded: number;
}

/**
 * For a `cdc position lost` reply (PROTOCOL.md §8.1, "epoch <e> ends at <k>"): `k`, the last id
 * the log kept of the epoch the position was read in. `undefined` for any other error.
 */
export function rolledBackAfter(error: unknown): number | undefined {
  if (!isReplyError(error) || !error.serverMessage.toLowerCase().includes('cdc position lost')) return undefined;
  const kept = /ends at (\d+)/i.exec(error.serverMessage);
  return kept ? Number(kept[1]) : 0;
}

/**
 * The typed form of a CDC error reply (PROTOCOL.md §7 phrases); anything else is returned as it
 * is. `requested` is where the refused subscription was to start.
 */
export function toCdcError(error: unknown, requested?: RequestedPosition): unknown {
  if (!isReplyError(error) || error instanceof CdcPositionExpiredError) return error;
  if (error.kind === 'cdc-position-expired') return new CdcPositionExpiredError(error.command, error.serverMessage, { cause: error });
  if (requested === undefined) return error;
  const text = error.serverMessage.toLowerCase();
  if (text.includes('cdc log mismatch')) {
    return new CdcPositionLostError({ reason: 'log-replaced', logId: requested.logId, firstLostId: requested.next, lastLostId: undefined }, { cause: error });
  }
  const keptUpTo = rolledBackAfter(error);
  if (keptUpTo !== undefined) {
    // The events after the kept ones that this feed handed over are gone: their ids now name others.
    return new CdcPositionLostError({ reason: 'rolled-back', logId: requested.logId, firstLostId: keptUpTo + 1, lastLostId: requested.lastHanded }, { cause: error });
  }
  return error;
}
