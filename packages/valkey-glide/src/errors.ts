import { FerriteConnectionError, FerriteTimeoutError, isFerriteError, type FerriteError } from '@ferrite/core';
import { messageOf, replyErrorFor } from '@ferrite/core/transport';
import { ClosingError, ConnectionError, RequestError, TimeoutError, ValkeyError } from '@valkey/valkey-glide';

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
 * GLIDE's words for a request it could not hand to any connection (the node's connection is gone
 * or being re-established): the request was not written, so it cannot have been applied.
 */
const NOT_SENT = /Requested connection not found|Connection in recovery/;

/** Whether GLIDE failed the request for want of a connection to write it to. */
export function notSent(error: unknown): boolean {
  return !(error instanceof ClosingError) && !isFerriteError(error) && NOT_SENT.test(messageOf(error));
}

/** GLIDE's refusal of a request on a client already closed, before anything is written. */
const REFUSED_CLOSED = /^Unable to execute requests; the client is closed/;

/**
 * The server's error text as it was sent, or `undefined` for an error of GLIDE's own (a
 * `RequestError` also reports client-side failures). GLIDE rewrites the server's text: a code it
 * knows becomes a kind name (`ERR unknown index` reads `… - ResponseError: unknown index`), any
 * other code gets a colon (`WRONGTYPE: Operation …`). Core classifies errors by the server's text,
 * so it is rebuilt.
 */
export function serverText(message: string): string | undefined {
  const known = KNOWN_KIND.exec(message);
  if (known) {
    const code = CODES[known[1] as string];
    return code === undefined ? undefined : `${code} ${known[2]}`;
  }
  const other = OTHER_CODE.exec(message);
  return other ? `${other[1]} ${other[2]}` : undefined;
}

/**
 * Translates what a GLIDE call rejected with. `TimeoutError` and `ConnectionError` are kinds of
 * `RequestError`, so they are told apart first. GLIDE does not say whether a request it gave up
 * on had been written (`close()` rejects written requests with a `ClosingError` too), so such
 * failures may have been applied; `false` only where GLIDE says it had no connection to write to,
 * and for a call {@link refusedBeforeSending}.
 */
export function translateError(error: unknown, commandName: string, requestTimeoutMs: number | undefined): FerriteError {
  if (isFerriteError(error)) return error;
  if (error instanceof TimeoutError) return new FerriteTimeoutError(commandName, requestTimeoutMs ?? 0);
  if (error instanceof ClosingError) {
    // GLIDE checks the client is open before writing a request: that refusal was never sent.
    if (REFUSED_CLOSED.test(error.message)) return new FerriteConnectionError(`valkey-glide: ${error.message}`, { maybeApplied: false });
    return new FerriteConnectionError(`valkey-glide: the client closed before the reply arrived${error.message ? ` (${error.message})` : ''}`);
  }
  const message = messageOf(error);
  const text = error instanceof RequestError && !(error instanceof ConnectionError) ? serverText(message) : undefined;
  if (text !== undefined) return replyErrorFor(commandName, text);
  return new FerriteConnectionError(`valkey-glide: ${message}`, { maybeApplied: !NOT_SENT.test(message) });
}

/** A call GLIDE refused at once, by throwing rather than rejecting: nothing was written. */
export function refusedBeforeSending(error: unknown): FerriteError {
  if (isFerriteError(error)) return error;
  return new FerriteConnectionError(`valkey-glide: ${messageOf(error)}`, { maybeApplied: false });
}

/**
 * Cluster replies that refuse a command without running it, while the cluster changes (a failover,
 * a slot move): GLIDE returns them for a request sent with an explicit route, and refreshes its
 * slot map meanwhile.
 */
const REFUSED_WHILE_CHANGING: ReadonlySet<string> = new Set(['Moved', 'ClusterDown', 'TryAgain']);

/**
 * Whether the request did not run and may be written again: GLIDE had no connection for it (the
 * node's connection is being re-established), or the cluster refused it while changing (not for
 * a call to one node, which hands a redirect over as the server's error).
 */
export function awaitingConnection(error: unknown, followRedirects: boolean): boolean {
  if (error instanceof ClosingError || isFerriteError(error)) return false;
  const message = messageOf(error);
  const kind = KNOWN_KIND.exec(message)?.[1];
  return NOT_SENT.test(message) || (followRedirects && kind !== undefined && REFUSED_WHILE_CHANGING.has(kind));
}

/**
 * GLIDE's failure to read a reply as text (it was not UTF-8): a plain `Error`, not one of GLIDE's
 * kinds, raised after the reply arrived, so the command ran.
 */
export function notText(error: unknown): boolean {
  return error instanceof Error && !(error instanceof ValkeyError) && error.message.startsWith('Decoding error:');
}
