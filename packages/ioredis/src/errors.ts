import { FerriteConnectionError, FerriteReplyError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** ioredis rejects server error replies with a `ReplyError` (class `SimpleError` in v6). */
function isDriverReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Translates whatever ioredis rejected with. The driver's error is never kept as `cause`:
 * its `.command.args` holds the arguments, which may be secrets or megabytes of vector.
 */
export function translateError(error: unknown, commandName: string, driverTimeoutMs: number | undefined): FerriteError {
  if (isFerriteError(error)) return error;
  if (isDriverReplyError(error)) return new FerriteReplyError(commandName, error.message);
  const message = messageOf(error);
  if (message === 'Command timed out') return new FerriteTimeoutError(commandName, driverTimeoutMs ?? 0);
  return new FerriteConnectionError(`ioredis: ${message}`);
}
