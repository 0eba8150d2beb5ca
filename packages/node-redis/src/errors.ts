import { FerriteConnectionError, FerriteReplyError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';
import { ErrorReply, TimeoutError } from 'redis';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Translates whatever node-redis rejected with. The driver's error is never kept as `cause`: it
 * may carry the command's arguments, which can be secrets or megabytes of vector.
 *
 * `driverTimeoutMs` is the driver's own deadline for commands it has not written yet; it rejects
 * those with a `TimeoutError` (never sent, so never applied).
 */
export function translateError(error: unknown, commandName: string, driverTimeoutMs: number): FerriteError {
  if (isFerriteError(error)) return error;
  if (error instanceof ErrorReply) return new FerriteReplyError(commandName, error.message);
  if (error instanceof TimeoutError) return new FerriteTimeoutError(commandName, driverTimeoutMs);
  return new FerriteConnectionError(`node-redis: ${messageOf(error)}`);
}
