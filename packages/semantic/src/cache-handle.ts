import { FerriteAbortError, FerriteTimeoutError, FerriteValidationError, type FerriteError } from '@ferrite/core';
import type { SemanticServerStats } from './commands/index.js';
import { SemanticCodecError, type SemanticCodec } from './codec.js';
import { LocalCounters, type SemanticLocalStats } from './local-stats.js';
import { isCacheOutage } from './outage.js';
import type { LookupOptions, StoreOptions } from './options.js';
import type { SemanticApi } from './semantic-api.js';
import { abortError, type SingleFlight } from './single-flight.js';
import { assertText } from './validate.js';

/** Options of `ferrite.semantic.cache(namespace, options)`. */
export interface SemanticCacheOptions<T> {
  /** Minimum similarity for this handle's lookups, 0 to 1 inclusive. Default: the plugin's. */
  readonly threshold?: number;
  /** Lifetime of what this handle stores, in whole seconds; `null` for none. Default: the plugin's. */
  readonly ttl?: number | null;
  /**
   * How values are stored. Default: `textCodec`, strings byte for byte as given, readable by every
   * other Ferrite client. Values of any other type need one, e.g. `jsonCodec<T>()`.
   */
  readonly codec?: SemanticCodec<T>;
  /**
   * Told when the cache fails `getOrSet` or `getOrSetStream`: a lookup that failed or ran out of
   * `lookupTimeout` (then treated as a miss, unless `failOpen` is false), or a store of a freshly
   * computed value that failed (the caller has its value already). Counted in `errors` either way.
   */
  readonly onError?: ((error: FerriteError) => void) | undefined;
  /**
   * Whether `getOrSet` and `getOrSetStream` go on without the cache when a lookup fails or times
   * out: `true` (default) computes the value as on a miss; `false` rejects with the lookup's
   * error. Store failures never reach the caller either way.
   */
  readonly failOpen?: boolean;
  /**
   * Budget of the lookup of `getOrSet` and `getOrSetStream`, in milliseconds: a slower lookup is
   * a failed one (see `failOpen`). Default: the client's `timeout`.
   */
  readonly lookupTimeout?: number;
}

/** Options of the calls that compute a value on a miss (`getOrSet`, `getOrSetStream`). */
export interface ComputeOptions {
  /** Gives up waiting. The computation itself is aborted once every caller sharing it has given up. */
  readonly signal?: AbortSignal;
}

/** What `stats()` reports: the server's counts and this process's. */
export interface SemanticCacheStats {
  /** The server's counts for the namespace (all clients). */
  readonly server: SemanticServerStats;
  /** What this handle saw in this process. */
  readonly process: SemanticLocalStats;
}

/** A namespace of the semantic cache with typed values. Made by `ferrite.semantic.cache(namespace)`. */
export interface SemanticCache<T> {
  readonly namespace: string;
  readonly threshold: number;
  readonly ttl: number | undefined;
  /**
   * The cached value for `text` or a similar text, or null. Throws `SemanticCodecError` (naming
   * the namespace) if the handle's codec cannot read it; the default codec reads every value.
   */
  get(text: string, options?: LookupOptions): Promise<T | null>;
  /** Stores `value` for `text`, encoded by the handle's codec; the same exact text replaces the entry. */
  set(text: string, value: T, options?: StoreOptions): Promise<void>;
  /** Removes the entry for this exact text, or (without text) the whole namespace. */
  delete(text?: string): Promise<number>;
  /**
   * The cached value, or the result of `compute`, which is then stored. Concurrent calls for the
   * same exact text share one computation. A computation that throws or is aborted is not
   * stored and its error reaches every caller waiting on it; the next call computes again.
   */
  getOrSet(text: string, compute: (signal: AbortSignal) => Promise<T> | T, options?: ComputeOptions): Promise<T>;
  /**
   * Caches an async function by its first argument. Extra arguments are passed through on a miss
   * but are not part of the key: calls whose extra arguments change the answer (another model,
   * another temperature) need a handle on another namespace.
   */
  wrap<Rest extends unknown[]>(fn: (prompt: string, ...rest: Rest) => Promise<T>): (prompt: string, ...rest: Rest) => Promise<T>;
  /**
   * On a miss, passes the produced chunks through as they arrive and stores their concatenation
   * only when the stream ends normally; a stream that fails, is aborted, or is not read to the
   * end stores nothing. On a hit, replays the stored text as one chunk.
   */
  getOrSetStream(
    this: SemanticCache<string>,
    text: string,
    produce: (signal: AbortSignal | undefined) => AsyncIterable<string>,
    options?: ComputeOptions,
  ): AsyncIterable<string>;
  /** The server's counts for the namespace and this handle's own. */
  stats(): Promise<SemanticCacheStats>;
}

export interface SemanticCacheSettings<T> {
  /** The API of the client or view the handle was made through. */
  readonly api: SemanticApi;
  /** The client's own API: a single flight looks up, computes and stores through it, under no caller's options. */
  readonly shared: SemanticApi;
  /** The signal of the view the handle was made through: it detaches its callers from a single flight. */
  readonly signal: AbortSignal | undefined;
  /**
   * The timeout of the view the handle was made through (`withOptions({ timeout })`), `undefined`
   * on the client itself: it bounds each caller's wait for a single flight, and only that wait.
   */
  readonly timeout: number | undefined;
  readonly namespace: string;
  readonly threshold: number;
  readonly ttl: number | undefined;
  readonly codec: SemanticCodec<T>;
  readonly flights: SingleFlight;
  readonly onError: ((error: FerriteError) => void) | undefined;
  readonly failOpen: boolean;
  readonly lookupTimeout: number | undefined;
}

type Found<T> = { readonly value: T } | null;
type Outcome<T> = { readonly value: T; readonly fromCache: boolean };

export class SemanticCacheHandle<T> implements SemanticCache<T> {
  readonly namespace: string;
  readonly threshold: number;
  readonly ttl: number | undefined;
  readonly #settings: SemanticCacheSettings<T>;
  readonly #counters = new LocalCounters();

  constructor(settings: SemanticCacheSettings<T>) {
    this.#settings = settings;
    this.namespace = settings.namespace;
    this.threshold = settings.threshold;
    this.ttl = settings.ttl;
  }

  async get(text: string, options: LookupOptions = {}): Promise<T | null> {
    return (await this.#lookup(text, options.threshold ?? this.threshold, options.timeout, options.signal))?.value ?? null;
  }

  async set(text: string, value: T, options: StoreOptions = {}): Promise<void> {
    const ttl = options.ttl === undefined ? (this.ttl ?? null) : options.ttl;
    await this.#settings.api.set(this.namespace, text, this.#settings.codec.encode(value), { ttl });
  }

  delete(text?: string): Promise<number> {
    return this.#settings.api.delete(this.namespace, text);
  }

  async getOrSet(text: string, compute: (signal: AbortSignal) => Promise<T> | T, options: ComputeOptions = {}): Promise<T> {
    assertText(text);
    if (typeof compute !== 'function') throw new FerriteValidationError('compute', 'expected a function');
    const key = `${this.namespace}\0${this.threshold}\0${text}`;
    // What stops this caller waiting: its own signal, its view's, and its view's deadline.
    const stops: AbortSignal[] = [];
    if (options.signal) stops.push(options.signal);
    if (this.#settings.signal) stops.push(this.#settings.signal);
    const { timeout } = this.#settings;
    let started = false;
    let deadline: NodeJS.Timeout | undefined;
    let expiry: AbortController | undefined;
    if (timeout !== undefined && Number.isFinite(timeout)) {
      expiry = new AbortController();
      // The flight goes on for the other callers; this one learns whether anything it started
      // (the flight's lookup, compute and store, when it was the first caller) may have run.
      const expired = expiry;
      deadline = setTimeout(() => expired.abort(new FerriteTimeoutError('getOrSet', timeout, { maybeApplied: started })), timeout);
      deadline.unref();
      stops.push(expiry.signal);
    }
    try {
      const { value, shared } = await this.#settings.flights.run(
        key,
        (signal) => {
          started = true;
          return this.#lookupOrCompute(text, compute, signal);
        },
        stops.length > 1 ? AbortSignal.any(stops) : stops[0],
      );
      if (shared || value.fromCache) this.#counters.computationsSaved++;
      return value.value;
    } catch (error) {
      // Detached by the view's deadline: the typed timeout error, not an abort.
      if (error instanceof FerriteAbortError && expiry?.signal.aborted && error.cause === expiry.signal.reason) throw error.cause;
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  wrap<Rest extends unknown[]>(fn: (prompt: string, ...rest: Rest) => Promise<T>): (prompt: string, ...rest: Rest) => Promise<T> {
    if (typeof fn !== 'function') throw new FerriteValidationError('fn', 'expected a function');
    return (prompt, ...rest) => this.getOrSet(prompt, () => fn(prompt, ...rest));
  }

  getOrSetStream(
    this: SemanticCacheHandle<string>,
    text: string,
    produce: (signal: AbortSignal | undefined) => AsyncIterable<string>,
    options: ComputeOptions = {},
  ): AsyncIterable<string> {
    assertText(text);
    if (typeof produce !== 'function') throw new FerriteValidationError('produce', 'expected a function');
    return this.#stream(text, produce, options.signal);
  }

  async stats(): Promise<SemanticCacheStats> {
    return { server: await this.#settings.api.stats(this.namespace), process: this.#counters.snapshot() };
  }

  async *#stream(
    text: string,
    produce: (signal: AbortSignal | undefined) => AsyncIterable<string>,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<string, void, undefined> {
    if (signal?.aborted) throw abortError(signal);
    const found = await this.#lookupForCompute(text, signal);
    // A namespace shared with a handle that stores objects can hold a value that is not text;
    // replaying it would break the stream's type, so it counts as a miss and is overwritten.
    if (found !== null && typeof found.value === 'string') {
      this.#counters.computationsSaved++;
      yield found.value;
      return;
    }
    const chunks: string[] = [];
    // A consumer that stops early makes this loop's `yield` return: the producer is closed and
    // nothing below runs, so a partial answer is never stored.
    for await (const chunk of produce(signal)) {
      if (signal?.aborted) throw abortError(signal);
      if (typeof chunk !== 'string') throw new FerriteValidationError('chunk', `expected a string, got ${typeof chunk}`);
      chunks.push(chunk);
      yield chunk;
    }
    if (signal?.aborted) throw abortError(signal);
    this.#storeInBackground(text, chunks.join('') as T);
  }

  async #lookupOrCompute(text: string, compute: (signal: AbortSignal) => Promise<T> | T, signal: AbortSignal): Promise<Outcome<T>> {
    const found = await this.#lookupForCompute(text, signal, this.#settings.shared);
    if (found !== null) return { value: found.value, fromCache: true };
    if (signal.aborted) throw abortError(signal);
    const value = await compute(signal);
    // A computation that finished after everyone gave up may be partial (it saw the abort): drop it.
    if (signal.aborted) throw abortError(signal);
    this.#storeInBackground(text, value, this.#settings.shared);
    return { value, fromCache: false };
  }

  /**
   * The lookup before computing. A value this codec cannot read counts as a miss (computing
   * afresh overwrites it); so does a failed or slow lookup when the handle fails open.
   */
  async #lookupForCompute(text: string, signal: AbortSignal | undefined, api: SemanticApi = this.#settings.api): Promise<Found<T>> {
    const { lookupTimeout, failOpen, onError } = this.#settings;
    try {
      return await this.#lookup(text, this.threshold, lookupTimeout, signal, api);
    } catch (error) {
      if (error instanceof SemanticCodecError) {
        this.#counters.misses++;
        return null;
      }
      // A caller who gave up is not a cache failure, and nobody waits for the computation.
      if (signal?.aborted) throw abortError(signal);
      if (!failOpen || !isCacheOutage(error)) throw error;
      onError?.(error as FerriteError);
      return null;
    }
  }

  async #lookup(text: string, threshold: number, timeout?: number, signal?: AbortSignal, api: SemanticApi = this.#settings.api): Promise<Found<T>> {
    const started = performance.now();
    let match;
    try {
      match = await api.match(this.namespace, text, { threshold, timeout, signal });
    } catch (error) {
      if (!(error instanceof FerriteValidationError)) this.#counters.errors++;
      throw error;
    }
    this.#counters.recordLookup(performance.now() - started);
    if (match === null) {
      this.#counters.misses++;
      return null;
    }
    let value: T;
    try {
      value = this.#settings.codec.decode(match.value);
    } catch (error) {
      this.#counters.errors++;
      // Name the namespace: with shared caches the value was likely written by another client.
      const detail = error instanceof SemanticCodecError ? error.detail : String((error as Error)?.message ?? error);
      throw new SemanticCodecError(detail, { namespace: this.namespace, cause: error });
    }
    this.#counters.hits++;
    return { value };
  }

  /**
   * Stores a computed value without holding up the caller, who has it already; a failure on the
   * way to the server is counted and reported, never thrown. A value the codec refuses is the
   * caller's mistake and throws here.
   */
  #storeInBackground(text: string, value: T, api: SemanticApi = this.#settings.api): void {
    const encoded = this.#settings.codec.encode(value);
    api.setInBackground(this.namespace, text, encoded, {
      ttl: this.ttl ?? null,
      onError: (error) => {
        this.#counters.errors++;
        this.#settings.onError?.(error);
      },
    });
  }
}
