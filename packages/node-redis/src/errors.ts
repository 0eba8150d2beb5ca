import { FerriteConnectionError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';
import { messageOf, replyErrorFor } from '@ferrite/core/transport';
import { AbortError, ClientClosedError, ClientOfflineError, ErrorReply, TimeoutError } from 'redis';

/**
 * Translates whatever node-redis rejected with. The driver's error is never kept as `cause`: it
 * may carry the command's arguments, which can be secrets or megabytes of vector.
 *
 * `driverTimeoutMs` is the driver's own deadline for commands it has not written yet; it rejects
 * those with a `TimeoutError` (never sent, so never applied). An `AbortError` is a command the
 * transport withdrew from the driver's queue before it was written.
 */
export function translateError(error: unknown, commandName: string, driverTimeoutMs: number): FerriteError {
  if (isFerriteError(error)) return error;
  if (error instanceof ErrorReply) return replyErrorFor(commandName, error.message);
  if (error instanceof TimeoutError) return new FerriteTimeoutError(commandName, driverTimeoutMs, { maybeApplied: false });
  const unsent = error instanceof AbortError || error instanceof ClientClosedError || error instanceof ClientOfflineError;
  return new FerriteConnectionError(`node-redis: ${messageOf(error)}`, { maybeApplied: !unsent });
}
