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
 * GLIDE's cluster words for a request whose last attempt found no connection to write to (the
 * node's connection is gone or being re-established). GLIDE's cluster core retries a request up
 * to three times by itself, after errors some of which come after the request was written (a
 * socket error is handed to the oldest request in flight), so only that last attempt is known
 * unwritten: an earlier one may have run.
 */
const NO_CONNECTION = /Requested connection not found|Connection in recovery/;

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
 * failures may have been applied; `false` only where GLIDE refused the call before writing anything:
 * on a client already closed, and for a call {@link refusedBeforeSending}.
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
  if (NO_CONNECTION.test(message)) return new FerriteConnectionError(`valkey-glide: GLIDE had no connection for the request's last attempt; an earlier attempt may have been written (${message})`);
  return new FerriteConnectionError(`valkey-glide: ${message}`);
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
 * The cluster's refusal of a request's last attempt while the cluster changes (`MOVED`,
 * `CLUSTERDOWN`, `TRYAGAIN`), as a connection error core retries for a command safe to repeat;
 * `undefined` for any other error. That attempt did not run, but GLIDE hands such a reply over
 * only after its own attempts, an earlier one of which may have been written: so it may have
 * been applied.
 */
export function refusedWhileChanging(error: unknown): FerriteConnectionError | undefined {
  if (error instanceof ClosingError || isFerriteError(error)) return undefined;
  const message = messageOf(error);
  const kind = KNOWN_KIND.exec(message)?.[1];
  if (kind === undefined || !REFUSED_WHILE_CHANGING.has(kind)) return undefined;
  return new FerriteConnectionError(`valkey-glide: the cluster refused the request's last attempt while changing; an earlier attempt may have been written (${message})`);
}

/**
 * GLIDE's failure to read a reply as text (it was not UTF-8): a plain `Error`, not one of GLIDE's
 * kinds, raised after the reply arrived, so the command ran.
 */
export function notText(error: unknown): boolean {
  return error instanceof Error && !(error instanceof ValkeyError) && error.message.startsWith('Decoding error:');
}
