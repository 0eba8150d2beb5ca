import { FerriteAbortError } from '@ferrite/core';
import type { ChangeFeedCheckpoint } from './checkpoint.js';
import type { ChangeEvent, ChangeFeed } from './types.js';

/** The rejection of a `subscribe` whose signal fired before the feed was in place. */
export function abortedBeforeStart(signal: AbortSignal | undefined): FerriteAbortError {
  return new FerriteAbortError('the change feed was aborted before it started', { cause: signal?.reason });
}

/**
 * What every change feed shares, one server's (`Feed`) or a cluster's (`ClusterFeed`): the
 * iterator protocol's endings, `close()` run once however often and from wherever it is called
 * (`break`, `await using`, the signal, the client closing), and the signal that closes it.
 * A feed supplies `next()`, where it stands, and {@link shutdown}.
 */
export abstract class FeedBase<Value extends string | Buffer> implements ChangeFeed<Value> {
  readonly #signal: AbortSignal | undefined;
  readonly #onSignal = () => void this.close();
  #closing: Promise<void> | undefined;

  protected constructor(signal: AbortSignal | undefined) {
    this.#signal = signal;
  }

  abstract get checkpoint(): ChangeFeedCheckpoint;
  abstract lag(): Promise<number>;
  abstract next(): Promise<IteratorResult<ChangeEvent<Value>, undefined>>;

  /**
   * Ends the feed for good: stop fetching, settle waiting `next()` calls as done, release
   * connections. Runs once, on the first `close()`.
   */
  protected abstract shutdown(): Promise<void>;

  async return(): Promise<IteratorResult<ChangeEvent<Value>, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<ChangeEvent<Value>, undefined>> {
    await this.close();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  close(): Promise<void> {
    this.#closing ??= this.shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Closes the feed when its signal fires; throws {@link abortedBeforeStart} if it already has. */
  protected followSignal(): void {
    if (this.#signal?.aborted) throw abortedBeforeStart(this.#signal);
    this.#signal?.addEventListener('abort', this.#onSignal, { once: true });
  }

  /** Once the feed has ended: the signal no longer holds on to it. */
  protected unfollowSignal(): void {
    this.#signal?.removeEventListener('abort', this.#onSignal);
  }
}
