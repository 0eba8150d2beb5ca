import { isAbortError, isUnsupportedError, isValidationError } from '@ferrite/core';

/**
 * Whether a failed cache operation is an outage that a fail-open cache rides out (the call goes
 * on as on a miss): connection failures, timeouts, server errors. Not bad input, not a server
 * without the semantic commands (mistakes to fix, which never heal by themselves), and not an
 * abort (the caller gave up; there is nobody to go on for).
 */
export function isCacheOutage(error: unknown): boolean {
  return !isValidationError(error) && !isUnsupportedError(error) && !isAbortError(error);
}
