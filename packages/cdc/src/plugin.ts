import { definePlugin, FerriteConnectionError, FerriteValidationError, type FerritePlugin, type PluginContext } from '@ferrite/core';
import { combineSignals } from '@ferrite/core/transport';
import { assertInteger } from '@ferrite/core/validate';
import { assertPattern } from './commands/subscribe.js';
import { decodeCheckpoint, isCheckpoint, type DecodedCheckpoint } from './checkpoint.js';
import { ClusterFeed, type ClusterStart } from './cluster-feed.js';
import { Feed, type FeedSettings, type FeedStart } from './feed.js';
import { runHandler } from './on-change.js';
import type {
  BinarySubscribeOptions,
  ChangeFeed,
  ChangeHandler,
  ChangeSubscription,
  SubscribeOptions,
  TextSubscribeOptions,
} from './types.js';

/** `ferrite.cdc`: change feeds over the server's change log. */
export interface CdcApi {
  /**
   * Follows the changes to keys matching a glob `pattern` (KEYS syntax). Resolves once the server
   * subscription is in place; with the default `from: 'latest'`, every matching write after that
   * is delivered. Rejects with `FerriteValidationError` for bad options (before anything is sent),
   * `CdcPositionExpiredError` when `from` is older than the server keeps, `CdcPositionLostError`
   * when the checkpoint's place no longer exists (rolled back, log replaced, node gone), and a
   * `FerriteConnectionError` (`maybeApplied: false`) when the client closes before the feed starts.
   *
   * A transient failure while the feed is set up (its connection lost, a step past its deadline)
   * is retried with the feed's reconnect backoff and reported to `onReconnect`, until the deadline
   * of the client or view this is called through (its `timeout`, counted from this call); then
   * it rejects with the last such error (`FerriteConnectionError` or `FerriteTimeoutError`).
   *
   * @example
   * await using feed = await ferrite.cdc.subscribe('user:*', { events: ['SET', 'DEL'] });
   * for await (const event of feed) console.log(event.id, event.op, event.key, event.value);
   */
  subscribe(pattern: string, options?: TextSubscribeOptions): Promise<ChangeFeed<string>>;
  /** As above, with `binary: true`: keys and values arrive as `Buffer`s, byte for byte. */
  subscribe(pattern: string, options: BinarySubscribeOptions): Promise<ChangeFeed<Buffer>>;
  /**
   * Calls `handler` for each change, one at a time, awaiting it. `checkpoint` advances only
   * after the handler resolves, so a saved one never skips an event the handler did not finish
   * (at-least-once into the handler; exactly once and in order out of the server). A handler that
   * throws stops the subscription and rejects `done` with its error.
   */
  onChange(pattern: string, handler: ChangeHandler<string>, options?: TextSubscribeOptions): Promise<ChangeSubscription>;
  /** As above, with `binary: true`: the handler gets keys and values as `Buffer`s. */
  onChange(pattern: string, handler: ChangeHandler<Buffer>, options: BinarySubscribeOptions): Promise<ChangeSubscription>;
}

/** How often a cluster feed lists the primaries again, to follow nodes that join, leave or fail over. */
const TOPOLOGY_REFRESH_MS = 1000;

type Start = 'latest' | 'earliest' | DecodedCheckpoint;
type Settings = Omit<FeedSettings, 'from'> & { readonly from: Start };

function settingsOf(pattern: unknown, options: SubscribeOptions & { readonly binary?: boolean } = {}): Settings {
  assertPattern(pattern);
  if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected an object');
  const { events, from = 'latest', signal, batchSize = 100, blockMs = 1000, bufferSize = 1000, binary = false, onReconnect } = options;
  if (events !== undefined && (!Array.isArray(events) || events.length === 0)) {
    throw new FerriteValidationError('events', 'expected a non-empty array of op names');
  }
  let start: Start;
  if (from === 'latest' || from === 'earliest') start = from;
  else if (isCheckpoint(from)) start = decodeCheckpoint(from);
  else {
    const migration = typeof from === 'number' ? ' (event ids are per log: save feed.checkpoint and pass it back)' : '';
    throw new FerriteValidationError('from', `expected 'latest', 'earliest' or a saved checkpoint${migration}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new FerriteValidationError('signal', 'expected an AbortSignal');
  assertInteger(batchSize, 'batchSize', { min: 1, max: 10_000 });
  assertInteger(blockMs, 'blockMs', { min: 1, max: 60_000 });
  assertInteger(bufferSize, 'bufferSize', { min: 1, max: 1_000_000 });
  if (typeof binary !== 'boolean') throw new FerriteValidationError('binary', 'expected a boolean');
  if (onReconnect !== undefined && typeof onReconnect !== 'function') throw new FerriteValidationError('onReconnect', 'expected a function');
  return { pattern, events, from: start, signal, batchSize, blockMs, bufferSize, binary, onReconnect };
}

/** A single server serves one log: a checkpoint naming several, or a cluster node, is not from it. */
function singleStart(from: Start): FeedStart {
  if (typeof from !== 'object') return from;
  const [position, ...others] = from.logs;
  if (position === undefined || others.length > 0 || position.node !== undefined) {
    throw new FerriteValidationError('from', 'this checkpoint was saved from a cluster, not from a single server');
  }
  return position;
}

function clusterStart(from: Start): ClusterStart {
  if (typeof from !== 'object') return from;
  // A position with neither log id nor node comes from a single server older than v1.2: no log to match it to.
  if (from.logs.some((position) => position.logId === undefined && position.node === undefined)) {
    throw new FerriteValidationError('from', 'this checkpoint was saved from a single server, not from a cluster');
  }
  return from;
}


const isSignal = (signal: AbortSignal | undefined): signal is AbortSignal => signal !== undefined;

function clientClosedError(): FerriteConnectionError {
  return new FerriteConnectionError('the Ferrite client was closed before the change feed started', { maybeApplied: false });
}

/**
 * The feeds of a client family (its views and `extend()`ed clients included), those still opening
 * too, and whether the family was closed: closing any client of it ends them all.
 */
interface OpenFeeds {
  readonly feeds: Set<{ close(): Promise<void> }>;
  closed: boolean;
}

function openFeeds(context: PluginContext): OpenFeeds {
  const open: OpenFeeds = { feeds: new Set(), closed: false };
  // One cleanup for every feed of the family, so short-lived feeds leave nothing behind in core.
  context.onClose(async () => {
    open.closed = true;
    await Promise.allSettled([...open.feeds].map((feed) => feed.close()));
  });
  return open;
}

function createCdcApi(context: PluginContext, open: OpenFeeds): CdcApi {
  const clientClosed = () => open.closed;
  async function subscribe(pattern: string, options?: SubscribeOptions & { readonly binary?: boolean }): Promise<ChangeFeed<string | Buffer>> {
    const settings = settingsOf(pattern, options);
    if (open.closed) throw clientClosedError();
    // Read once: the feed outlives this call, and keeps the deadline and signal of the client or
    // view it was opened through: this context's.
    const call = context.callOptions();
    // The whole call, every setup attempt and the waits between them, ends by that deadline,
    // counted from now (a transient failure is retried until then).
    const setupDeadline = performance.now() + call.timeout;
    // Registered before the first await: a client closed while the feed opens stops the opening.
    const opening = new AbortController();
    const pending = { close: async () => opening.abort() };
    open.feeds.add(pending);
    const signal = combineSignals([settings.signal, call.signal].filter(isSignal));
    const onEnded = (ended: { close(): Promise<void> }) => open.feeds.delete(ended);
    let feed: ChangeFeed<string | Buffer>;
    try {
      const feedSettings = { ...settings, from: 'latest' as const, signal: combineSignals([signal, opening.signal].filter(isSignal)) };
      if (context.transport.topology === 'cluster') {
        const host = { context, timeoutMs: call.timeout, clientClosed, onEnded, refreshMs: TOPOLOGY_REFRESH_MS };
        feed = await ClusterFeed.open<string | Buffer>(host, feedSettings, clusterStart(settings.from), setupDeadline);
      } else {
        feed = await Feed.open<string | Buffer>({ context, clientClosed, onEnded }, { ...feedSettings, from: singleStart(settings.from) }, setupDeadline);
      }
    } catch (error) {
      if (open.closed) throw clientClosedError();
      throw error;
    } finally {
      open.feeds.delete(pending);
    }
    if (open.closed) {
      await feed.close();
      throw clientClosedError();
    }
    open.feeds.add(feed);
    return feed;
  }
  async function onChange(
    pattern: string,
    handler: ChangeHandler<string> | ChangeHandler<Buffer>,
    options?: SubscribeOptions & { readonly binary?: boolean },
  ): Promise<ChangeSubscription> {
    if (typeof handler !== 'function') throw new FerriteValidationError('handler', 'expected a function');
    const feed = await subscribe(pattern, options);
    return runHandler(feed, handler as ChangeHandler<string | Buffer>);
  }

  return { subscribe, onChange } as CdcApi;
}

/**
 * The CDC plugin: `createFerrite({ transport, plugins: [cdc()] })` gives `ferrite.cdc`. Every feed
 * polls on a dedicated connection of its own, so it never delays the client's other commands.
 */
export function cdc(): FerritePlugin<'cdc', CdcApi> {
  return definePlugin({ name: 'cdc', state: openFeeds, setup: createCdcApi });
}
