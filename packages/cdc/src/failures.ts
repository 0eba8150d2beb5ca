import { isConnectionError, isFerriteError, isReplyError, isTimeoutError } from '@ferrite/core';

/** A refusal no reconnect can cure: credentials or permissions (checked through `cause`, where a transport may wrap it). */
function isRefusal(error: unknown): boolean {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 5; depth++) {
    if (isReplyError(cause, 'noauth') || isReplyError(cause, 'wrongpass')) return true;
    if (isReplyError(cause) && /^NOPERM\b/i.test(cause.serverMessage)) return true;
    if (!(cause instanceof Error)) return false;
    cause = cause.cause;
  }
  return false;
}

/**
 * Whether a feed should reconnect after `error`: a lost connection, a poll past its deadline, or
 * a subscription the server no longer knows. Everything else (an error reply, authentication or
 * permission refused, a server without CDC, a closed client) ends the feed with that error.
 */
export function isTransient(error: unknown, clientClosed: boolean): boolean {
  if (clientClosed || !isFerriteError(error) || isRefusal(error)) return false;
  return isConnectionError(error) || isTimeoutError(error) || isReplyError(error, 'no-such-subscription');
}
