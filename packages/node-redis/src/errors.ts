import { FerriteConnectionError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';
import { messageOf, replyErrorFor } from '@ferrite/core/transport';
import { AbortError, ClientClosedError, ClientOfflineError, ErrorReply, TimeoutError } from 'redis';

/**
 * Translates whatever node-redis rejected with. The driver's error is never kept as `cause`: it
 * may carry the command's arguments, which can be secrets or megabytes of vector.
 *
 * `driverTimeoutMs` is the driver's own deadline (`commandOptions.timeout`). node-redis rejects
 * with a `TimeoutError` commands it has not written yet, but also those it has: a socket timeout
 * during a maintenance window (`SocketTimeoutDuringMaintenanceError`, a `TimeoutError`) fails every
 * command waiting for a reply (`driver-timeout.test.ts` stages it). So that error may have run.
 * An `AbortError` is a command the transport withdrew from the driver's queue before it was
 * written: provably unsent.
 */
export function translateError(error: unknown, commandName: string, driverTimeoutMs: number): FerriteError {
  if (isFerriteError(error)) return error;
  if (error instanceof ErrorReply) return replyErrorFor(commandName, error.message);
  if (error instanceof TimeoutError) return new FerriteTimeoutError(commandName, driverTimeoutMs, { maybeApplied: true });
  const unsent = error instanceof AbortError || error instanceof ClientClosedError || error instanceof ClientOfflineError;
  return new FerriteConnectionError(`node-redis: ${messageOf(error)}`, { maybeApplied: !unsent });
}
