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

export function closedError(): FerriteConnectionError {
  return new FerriteConnectionError('the node-redis transport is closed');
}

/**
 * Rejects with a `FerriteTimeoutError` when `work` has not settled after `timeoutMs`. node-redis
 * has no deadline for a command already written, so this is the only one a wedged server meets.
 * The command stays in flight on its connection (a request cannot be taken back); its late
 * outcome is dropped.
 */
export function withDeadline<T>(work: Promise<T>, commandName: string, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FerriteTimeoutError(commandName, timeoutMs)), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
