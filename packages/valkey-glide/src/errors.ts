import { FerriteConnectionError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';
import { messageOf, replyErrorFor } from '@ferrite/core/transport';
import { ClosingError, ConnectionError, RequestError, TimeoutError } from '@valkey/valkey-glide';

/** The Redis error code behind each error kind GLIDE's Rust core names instead. */
const CODES: Readonly<Record<string, string>> = {
  ResponseError: 'ERR',
  ExecAbortError: 'EXECABORT',
  BusyLoadingError: 'LOADING',
  NoScriptError: 'NOSCRIPT',
  CrossSlot: 'CROSSSLOT',
  ReadOnly: 'READONLY',
  TryAgain: 'TRYAGAIN',
  ClusterDown: 'CLUSTERDOWN',
  MasterDown: 'MASTERDOWN',
  Moved: 'MOVED',
  Ask: 'ASK',
  NotBusy: 'NOTBUSY',
};

const KNOWN_KIND = /^An error was signalled by the server: - (\w+): ([\s\S]*)$/;
const OTHER_CODE = /^([A-Z][A-Z0-9_-]*): ([\s\S]*)$/;

/**
 * The server's error text as it was sent. GLIDE rewrites it: a code it knows becomes a kind name
 * (`ERR unknown index` reads `… - ResponseError: unknown index`), any other code gets a colon
 * (`WRONGTYPE: Operation …`). Core classifies errors by the server's text, so it is rebuilt.
 */
export function serverText(message: string): string {
  const known = KNOWN_KIND.exec(message);
  if (known) return `${CODES[known[1] as string] ?? known[1]} ${known[2]}`;
  const other = OTHER_CODE.exec(message);
  return other ? `${other[1]} ${other[2]}` : message;
}

/**
 * Translates what a GLIDE call rejected with. `TimeoutError` and `ConnectionError` are kinds of
 * `RequestError`, so they are told apart first. GLIDE does not say whether a request it gave up
 * on had been written (`close()` rejects written requests with a `ClosingError` too), so every
 * failure here may have been applied; only {@link refusedBeforeSending} is not.
 */
export function translateError(error: unknown, commandName: string, requestTimeoutMs: number | undefined): FerriteError {
  if (isFerriteError(error)) return error;
  if (error instanceof TimeoutError) return new FerriteTimeoutError(commandName, requestTimeoutMs ?? 0);
  if (error instanceof ConnectionError) return new FerriteConnectionError(`valkey-glide: ${error.message}`);
  if (error instanceof ClosingError) return new FerriteConnectionError(`valkey-glide: the client closed before the reply arrived${error.message ? ` (${error.message})` : ''}`);
  if (error instanceof RequestError) return replyErrorFor(commandName, serverText(error.message));
  return new FerriteConnectionError(`valkey-glide: ${messageOf(error)}`);
}

/** GLIDE throws at once (no promise) for a call on a closed client: nothing was written. */
export function refusedBeforeSending(error: unknown): FerriteError {
  if (isFerriteError(error)) return error;
  return new FerriteConnectionError(`valkey-glide: ${messageOf(error)}`, { maybeApplied: false });
}
