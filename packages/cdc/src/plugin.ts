import { definePlugin, FerriteValidationError, type FerritePlugin, type PluginContext } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';
import { assertPattern } from './commands/subscribe.js';
import { decodeCheckpoint, isCheckpoint, type ChangeFeedCheckpoint, type DecodedCheckpoint } from './checkpoint.js';
import { ClusterFeed, type ClusterStart } from './cluster-feed.js';
import { Feed, type FeedSettings } from './feed.js';
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
   * is delivered. Rejects with `FerriteValidationError` for bad options and
   * `CdcPositionExpiredError` when `from` is older than the server keeps.
   *
   * @example
   * await using feed = await ferrite.cdc.subscribe('user:*', { events: ['SET', 'DEL'] });
   * for await (const event of feed) console.log(event.id, event.op, event.key, event.value);
   */
  subscribe(pattern: string, options?: TextSubscribeOptions): Promise<ChangeFeed<string>>;
  /** As above, with `binary: true`: keys and values arrive as `Buffer`s, byte for byte. */
  subscribe(pattern: string, options: BinarySubscribeOptions): Promise<ChangeFeed<Buffer>>;
  /**
   * Calls `handler` for each change, one at a time, awaiting it. `position` and `checkpoint`
   * advance only after the handler resolves, so a saved one never skips an event the handler did not finish
   * (at-least-once into the handler; exactly once and in order out of the server). A handler that
   * throws stops the subscription and rejects `done` with its error.
   */
  onChange(pattern: string, handler: ChangeHandler<string>, options?: TextSubscribeOptions): Promise<ChangeSubscription>;
  /** As above, with `binary: true`: the handler gets keys and values as `Buffer`s. */
  onChange(pattern: string, handler: ChangeHandler<Buffer>, options: BinarySubscribeOptions): Promise<ChangeSubscription>;
}

/** How often a cluster feed lists the primaries again, to follow nodes that join or leave. */
const TOPOLOGY_REFRESH_MS = 1000;

type Settings = Omit<FeedSettings, 'from'> & { readonly from: FeedSettings['from'] | DecodedCheckpoint };

function settingsOf(pattern: unknown, options: SubscribeOptions & { readonly binary?: boolean } = {}): Settings {
  assertPattern(pattern);
  if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected an object');
  const { events, from = 'latest', signal, batchSize = 100, blockMs = 1000, bufferSize = 1000, binary = false } = options;
  if (events !== undefined && (!Array.isArray(events) || events.length === 0)) {
    throw new FerriteValidationError('events', 'expected a non-empty array of op names');
  }
  let start: Settings['from'] = from as FeedSettings['from'];
  if (isCheckpoint(from)) start = decodeCheckpoint(from as ChangeFeedCheckpoint);
  else if (from !== 'latest' && from !== 'earliest') {
    if ((typeof from as string) === 'bigint') throw new FerriteValidationError('from', 'ids beyond 2^53 - 1 are not supported; pass a number');
    if (typeof from === 'string') throw new FerriteValidationError('from', "expected 'latest', 'earliest', an event id or a saved checkpoint");
    assertInteger(from, 'from', { min: 1 });
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new FerriteValidationError('signal', 'expected an AbortSignal');
  assertInteger(batchSize, 'batchSize', { min: 1, max: 10_000 });
  assertInteger(blockMs, 'blockMs', { min: 1, max: 60_000 });
  assertInteger(bufferSize, 'bufferSize', { min: 1, max: 1_000_000 });
  if (typeof binary !== 'boolean') throw new FerriteValidationError('binary', 'expected a boolean');
  return { pattern, events, from: start, signal, batchSize, blockMs, bufferSize, binary };
}

function clusterStart(from: Settings['from']): ClusterStart {
  if (from === 'latest' || from === 'earliest') return { kind: from };
  if (typeof from === 'number') {
    throw new FerriteValidationError('from', 'event ids are per node on a cluster: pass a saved feed.position or feed.checkpoint (the same token there), "latest" or "earliest"');
  }
  if (from.kind === 'single') throw new FerriteValidationError('from', 'this checkpoint was saved from a single server, not from a cluster');
  return { kind: 'checkpoint', nodes: from.nodes };
}

function singleStart(from: Settings['from']): FeedSettings['from'] {
  if (typeof from !== 'object') return from;
  if (from.kind === 'cluster') throw new FerriteValidationError('from', 'this checkpoint was saved from a cluster, not from a single server');
  return from.next;
}

function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

/** The feeds still open in a client family (its views and `extend()`ed clients included). */
type OpenFeeds = Set<{ close(): Promise<void> }>;

function openFeeds(context: PluginContext): OpenFeeds {
  const open: OpenFeeds = new Set();
  // One cleanup for every feed of the family, so short-lived feeds leave nothing behind in core.
  context.onClose(async () => {
    await Promise.allSettled([...open].map((feed) => feed.close()));
  });
  return open;
}

function createCdcApi(context: PluginContext, open: OpenFeeds): CdcApi {
  async function subscribe(pattern: string, options?: SubscribeOptions & { readonly binary?: boolean }): Promise<ChangeFeed<string | Buffer>> {
    const settings = settingsOf(pattern, options);
    // The feed outlives this call, and keeps the deadline and signal of the client or view it
    // was opened through: this context's.
    const call = context.callOptions();
    const signal = combine(settings.signal, call.signal);
    const onEnded = (ended: { close(): Promise<void> }) => open.delete(ended);
    // Several primaries: a cluster, each with a change log of its own (PROTOCOL.md §8).
    const nodes = await context.nodes();
    let feed: ChangeFeed<string | Buffer>;
    if (nodes.length > 1) {
      feed = await ClusterFeed.open<string | Buffer>(
        { context, timeoutMs: call.timeout, onEnded, refreshMs: TOPOLOGY_REFRESH_MS },
        { ...settings, from: 'latest', signal },
        clusterStart(settings.from),
      );
    } else {
      feed = await Feed.open<string | Buffer>({ context, timeoutMs: call.timeout, onEnded }, { ...settings, from: singleStart(settings.from), signal });
    }
    open.add(feed);
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
