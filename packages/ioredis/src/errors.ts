import { FerriteConnectionError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';
import { messageOf, replyErrorFor } from '@ferrite/core/transport';

/** ioredis rejects server error replies with a `ReplyError` (class `SimpleError` in v6). */
function isDriverReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Failures ioredis reports for commands it never wrote: they cannot have been applied. */
function neverSent(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || error.message.startsWith("Stream isn't writeable");
}

/**
 * Translates whatever ioredis rejected with. The driver's error is never kept as `cause`:
 * its `.command.args` holds the arguments, which may be secrets or megabytes of vector.
 */
export function translateError(error: unknown, commandName: string, driverTimeoutMs: number | undefined): FerriteError {
  if (isFerriteError(error)) return error;
  if (isDriverReplyError(error)) return replyErrorFor(commandName, error.message);
  const message = messageOf(error);
  if (message === 'Command timed out') return new FerriteTimeoutError(commandName, driverTimeoutMs ?? 0);
  return new FerriteConnectionError(`ioredis: ${message}`, { maybeApplied: !neverSent(error) });
}
