import type { FerriteError } from '@ferrite/core';

/** Protocol default ({@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#semantic-cache | the wire contract}), sent explicitly so every server applies the same one. */
export const DEFAULT_THRESHOLD = 0.85;

/** Options of `semantic()`: the defaults of every lookup and store. */
export interface SemanticPluginOptions {
  /** Default minimum similarity for lookups, 0 to 1 inclusive. Default 0.85. */
  readonly threshold?: number;
  /** Default lifetime of stored entries, in whole seconds. Default: none (no EX is sent). */
  readonly ttl?: number;
}

/** Options of a single lookup. */
export interface LookupOptions {
  /** Minimum similarity, 0 to 1 inclusive; `0` hits any live entry. Overrides the default. */
  readonly threshold?: number;
  /**
   * Deadline of this lookup in milliseconds (then it rejects with `FerriteTimeoutError`), for a
   * cache that must never hold an answer up for long. Default: the client's `timeout`.
   */
  readonly timeout?: number;
  /** Gives the lookup up: it rejects with `FerriteAbortError` at once. */
  readonly signal?: AbortSignal;
}

/** Options of a single store. */
export interface StoreOptions {
  /**
   * Lifetime in whole seconds. Overrides the default; `null` stores without EX even when a
   * default is set (the entry then lives until deleted, or the server's own default TTL).
   */
  readonly ttl?: number | null;
}

/** Options of a store that runs in the background (`setInBackground`). */
export interface BackgroundStoreOptions extends StoreOptions {
  /** Told when the store fails; without it a failed store is dropped silently (the cache simply misses later). */
  readonly onError?: ((error: FerriteError) => void) | undefined;
}

/** The defaults in force, after validation. */
export interface SemanticDefaults {
  readonly threshold: number;
  readonly ttl: number | undefined;
}

/** A per-call value always wins, `0` included; only `undefined` falls back to the default. */
export function pickThreshold(option: number | undefined, defaults: SemanticDefaults): number {
  return option === undefined ? defaults.threshold : option;
}

export function pickTtl(option: number | null | undefined, defaults: SemanticDefaults): number | undefined {
  if (option === undefined) return defaults.ttl;
  return option === null ? undefined : option;
}
