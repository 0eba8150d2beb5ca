import { FerriteProtocolError, FerriteReplyError, isReplyError, type FerriteErrorOptions } from '@ferrite/core';

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

/** The server sent an event id beyond 2^53 − 1, which a JavaScript number cannot hold exactly. */
export class CdcIdRangeError extends FerriteProtocolError {
  static override readonly brand: string = 'CdcIdRangeError';
  readonly id: bigint;

  constructor(id: bigint) {
    super(`CDC event id ${id} is beyond Number.MAX_SAFE_INTEGER; this client cannot follow it without skipping or repeating events`);
    this.id = id;
  }
}

/** The typed form of a CDC error reply; anything else is returned as it is. */
export function toCdcError(error: unknown): unknown {
  if (isReplyError(error, 'cdc-position-expired') && !(error instanceof CdcPositionExpiredError)) {
    return new CdcPositionExpiredError(error.command, error.serverMessage, { cause: error });
  }
  return error;
}
