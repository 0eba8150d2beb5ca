import { FerriteValidationError, prepareCommand, type FerriteError, type PluginContext } from '@ferrite/core';
import { deleteCommand, getCommand, setCommand, statsCommand, type SemanticMatch, type SemanticServerStats } from './commands/index.js';
import { SemanticCacheHandle, type SemanticCache, type SemanticCacheOptions } from './cache-handle.js';
import { textCodec, type SemanticCodec } from './codec.js';
import { BackgroundStores } from './background-stores.js';
import { pickThreshold, pickTtl, type BackgroundStoreOptions, type LookupOptions, type SemanticDefaults, type StoreOptions } from './options.js';
import { SingleFlight } from './single-flight.js';
import { meetsThreshold } from './threshold.js';
import { assertLookupTimeout, assertNamespace, assertThreshold, assertTtl } from './validate.js';

/** `ferrite.semantic`: the semantic cache by namespace, with string values, and typed handles through `cache()`. */
export interface SemanticApi {
  /** Stores `value` for `text`; the same exact text replaces the entry and its expiry. */
  set(namespace: string, text: string, value: string, options?: StoreOptions): Promise<void>;
  /**
   * Stores like `set`, but returns at once: for a value the caller already has (a model's answer),
   * whose storing must not delay it. A failure goes to `options.onError`, never to the caller.
   * The client's `close()` waits for stores still running (within its cleanup budget).
   */
  setInBackground(namespace: string, text: string, value: string, options?: BackgroundStoreOptions): void;
  /** Resolves once every `setInBackground` store started before it has settled, failed or not. */
  flush(): Promise<void>;
  /** The value of the most similar live entry whose similarity is at least the threshold, or null. */
  get(namespace: string, text: string, options?: LookupOptions): Promise<string | null>;
  /** Like `get`, with the similarity that made it a hit. */
  match(namespace: string, text: string, options?: LookupOptions): Promise<SemanticMatch | null>;
  /** Removes the entry for this exact text, or the whole namespace (its server counters too); returns how many went. */
  delete(namespace: string, text?: string): Promise<number>;
  /** The server's counts for a namespace. */
  stats(namespace: string): Promise<SemanticServerStats>;
  /**
   * A handle for one namespace, with single-flight `getOrSet`, `wrap` and streaming. Values of
   * type `T` are stored through `options.codec`, e.g. `cache<Answer>(ns, { codec: jsonCodec<Answer>() })`.
   */
  cache<T>(namespace: string, options: SemanticCacheOptions<T> & { readonly codec: SemanticCodec<T> }): SemanticCache<T>;
  /**
   * A handle for one namespace whose values are strings, stored byte for byte as given and read
   * as they are, whoever wrote them (the default `textCodec`). The type parameter only exists so
   * that `cache<string>(ns)` compiles; other types need a codec (the overload above).
   */
  cache<T extends string = string>(namespace: string, options?: SemanticCacheOptions<T> & { readonly codec?: undefined }): SemanticCache<string>;
}

/**
 * What every client of a family shares: the single flights, and the API `getOrSet` computes and
 * stores through, which runs with the client's own options (a view's signal only detaches the
 * caller that passed through it).
 */
export interface SemanticShared {
  readonly api: SemanticApi;
  /** Stores still running off the callers' path: any client's `flush()` and the family's `close()` wait for them. */
  readonly background: BackgroundStores;
  flightsFor(codec: object): SingleFlight;
}

export function createSemanticShared(context: PluginContext, defaults: SemanticDefaults): SemanticShared {
  // Handles with the same codec share single flights, so two handles for one namespace never
  // compute the same answer twice at once; another codec may give another type, so it gets its own.
  const flights = new WeakMap<object, SingleFlight>();
  const background = new BackgroundStores();
  context.onClose(() => background.settled());
  const shared: { api?: SemanticApi; background: BackgroundStores; flightsFor(codec: object): SingleFlight } = {
    background,
    flightsFor(codec) {
      let group = flights.get(codec);
      if (group === undefined) flights.set(codec, (group = new SingleFlight()));
      return group;
    },
  };
  shared.api = createSemanticApi(context, defaults, shared as SemanticShared);
  return shared as SemanticShared;
}

export function createSemanticApi(context: PluginContext, defaults: SemanticDefaults, shared: SemanticShared): SemanticApi {
  const api: SemanticApi = {
    async set(namespace, text, value, options = {}) {
      await context.call(setCommand, namespace, text, value, pickTtl(options.ttl, defaults));
    },
    setInBackground(namespace, text, value, options = {}) {
      // Checked now, so that a programming error reaches the caller instead of `onError`.
      prepareCommand(setCommand, namespace, text, value, pickTtl(options.ttl, defaults));
      const report = options.onError;
      shared.background.start(
        () => api.set(namespace, text, value, options),
        (error) => report?.(error as FerriteError),
      );
    },
    flush: () => shared.background.settled(),
    async get(namespace, text, options = {}) {
      return (await api.match(namespace, text, options))?.value ?? null;
    },
    async match(namespace, text, options = {}) {
      const threshold = pickThreshold(options.threshold, defaults);
      const { timeout, signal } = options;
      const lookup = timeout === undefined && signal === undefined ? context : context.withOptions({ timeout, signal });
      const found = await lookup.call(getCommand, namespace, text, threshold);
      return found !== null && meetsThreshold(found.similarity, threshold) ? found : null;
    },
    delete: (namespace, text) => context.call(deleteCommand, namespace, text),
    stats: (namespace) => context.call(statsCommand, namespace),
    cache<T>(namespace: string, options: SemanticCacheOptions<T> = {}): SemanticCache<T> {
      assertNamespace(namespace);
      const threshold = pickThreshold(options.threshold, defaults);
      assertThreshold(threshold);
      const ttl = pickTtl(options.ttl, defaults);
      if (ttl !== undefined) assertTtl(ttl);
      if (options.lookupTimeout !== undefined) assertLookupTimeout(options.lookupTimeout);
      if (options.failOpen !== undefined && typeof options.failOpen !== 'boolean') {
        throw new FerriteValidationError('failOpen', `expected a boolean, got ${typeof options.failOpen}`);
      }
      const codec = (options.codec ?? textCodec) as SemanticCodec<T>;
      return new SemanticCacheHandle<T>({
        api,
        shared: shared.api ?? api,
        signal: context.callOptions().signal,
        timeout: context.callOptions().viewTimeout,
        namespace,
        threshold,
        ttl,
        codec,
        flights: shared.flightsFor(codec),
        onError: options.onError,
        failOpen: options.failOpen ?? true,
        lookupTimeout: options.lookupTimeout,
      });
    },
  };
  return api;
}
