import { FerriteTimeoutError } from '../errors.js';

/**
 * Rejects with a `FerriteTimeoutError` when `work` has not settled after `timeoutMs` (none when
 * undefined or not positive). For transport authors: a command already written cannot be taken
 * back, so it stays in flight and its late outcome is dropped.
 */
export function withDeadline<T>(work: Promise<T>, commandName: string, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined || timeoutMs <= 0) return work;
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
