import { assertName, FerriteValidationError } from '@ferrite/core';
import { isCacheOutage, type SemanticApi } from '@ferrite/semantic';
import { BaseCache, deserializeStoredGeneration, serializeGeneration } from '@langchain/core/caches';
import type { StoredGeneration } from '@langchain/core/messages';
import type { Generation } from '@langchain/core/outputs';
import { sha256 } from '@langchain/core/utils/hash';

/** A Ferrite client with the semantic plugin: `createFerrite({ transport, plugins: [semantic()] })`. */
export interface FerriteSemanticClient {
  readonly semantic: Pick<SemanticApi, 'get' | 'setInBackground'>;
}

/** Options of `FerriteSemanticCache`. */
export interface FerriteSemanticCacheOptions {
  /** Minimum similarity for a prompt to hit, 0 to 1 inclusive. Default: the semantic plugin's (0.85). */
  readonly threshold?: number;
  /** Lifetime of cached generations in whole seconds; `null` for none. Default 86400 (one day). */
  readonly ttl?: number | null;
  /** Start of every namespace this cache uses (default `langchain`); one per application keeps them apart. */
  readonly namespace?: string;
  /** @deprecated Renamed `namespace`, as in the other integrations; this alias goes in the next minor. */
  readonly namespacePrefix?: string;
  /**
   * Budget of a lookup in milliseconds: a slower one counts as failed (see `failOpen`). Default
   * 250; `Infinity` for the client's deadline. LangChain's cache API passes no abort signal, so
   * this budget is what bounds a lookup.
   */
  readonly lookupTimeout?: number;
  /**
   * `true` (default): a lookup that fails or runs out of `lookupTimeout` is a miss and the model
   * is called. `false`: the lookup's error rejects, and LangChain fails the model call.
   */
  readonly failOpen?: boolean;
  /** Told of every cache failure: lookups that failed or timed out, stores that failed. */
  readonly onError?: (error: unknown) => void;
}

/** The namespace prefix when none is given: namespaces are `langchain:<sha256 of the llmKey>`. */
export const DEFAULT_NAMESPACE_PREFIX = 'langchain';
/** How long a lookup may hold a model call up when no `lookupTimeout` is given. */
export const DEFAULT_CACHE_LOOKUP_TIMEOUT_MS = 250;
/** Lifetime of cached generations when no `ttl` is given: one day (answers go stale; the cache must forget by itself). */
export const DEFAULT_CACHE_TTL_SECONDS = 86_400;

function isStoredGeneration(value: unknown): value is StoredGeneration {
  return typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';
}

function namespaceOption(options: FerriteSemanticCacheOptions): string {
  const { namespace, namespacePrefix } = options;
  if (namespace !== undefined && namespacePrefix !== undefined && namespace !== namespacePrefix) {
    throw new FerriteValidationError('namespace', 'give `namespace` only (`namespacePrefix` is its deprecated alias)');
  }
  const chosen = namespace ?? namespacePrefix ?? DEFAULT_NAMESPACE_PREFIX;
  assertName(chosen, namespace === undefined && namespacePrefix !== undefined ? 'namespacePrefix' : 'namespace');
  return chosen;
}

/**
 * Ferrite's semantic cache as LangChain's LLM cache: `new ChatOpenAI({ cache })`. A prompt close
 * enough in meaning to one already answered (by the server's embedding) gets that answer. Each
 * model configuration (`llmKey`: the model, its temperature, its other call options) has its own
 * namespace, so one configuration never answers for another. Generations are stored with
 * LangChain's own serialisation, so chat messages come back as messages. The cache fails open
 * and stores in the background: it never fails or holds up a model call (see the README).
 */
export class FerriteSemanticCache extends BaseCache<Generation[]> {
  readonly client: FerriteSemanticClient;
  readonly threshold: number | undefined;
  readonly ttl: number | null;
  readonly namespace: string;
  readonly lookupTimeout: number;
  readonly failOpen: boolean;
  readonly #onError: ((error: unknown) => void) | undefined;

  constructor(client: FerriteSemanticClient, options: FerriteSemanticCacheOptions = {}) {
    super();
    if (typeof client !== 'object' || client === null || typeof client.semantic !== 'object' || client.semantic === null) {
      throw new FerriteValidationError('client', 'expected a Ferrite client with the semantic plugin');
    }
    const { threshold, ttl = DEFAULT_CACHE_TTL_SECONDS, lookupTimeout = DEFAULT_CACHE_LOOKUP_TIMEOUT_MS, failOpen = true, onError } = options;
    if (threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) {
      throw new FerriteValidationError('threshold', `expected a number from 0 to 1, got ${String(threshold)}`);
    }
    if (ttl !== null && !(Number.isSafeInteger(ttl) && ttl > 0)) {
      throw new FerriteValidationError('ttl', `expected a positive whole number of seconds or null, got ${String(ttl)}`);
    }
    if (!(typeof lookupTimeout === 'number' && lookupTimeout > 0)) {
      throw new FerriteValidationError('lookupTimeout', `expected a positive number of milliseconds or Infinity, got ${String(lookupTimeout)}`);
    }
    if (typeof failOpen !== 'boolean') throw new FerriteValidationError('failOpen', `expected a boolean, got ${typeof failOpen}`);
    if (onError !== undefined && typeof onError !== 'function') throw new FerriteValidationError('onError', 'expected a function');
    this.client = client;
    this.threshold = threshold;
    this.ttl = ttl;
    this.namespace = namespaceOption(options);
    this.lookupTimeout = lookupTimeout;
    this.failOpen = failOpen;
    this.#onError = onError;
  }

  /** @deprecated Renamed `namespace`; this alias goes in the next minor. */
  get namespacePrefix(): string {
    return this.namespace;
  }

  /**
   * The namespace holding the answers of one model configuration: the prefix and a SHA-256 of
   * `llmKey`, which is long and may hold any text. Use it with `ferrite.semantic.stats` or `delete`.
   */
  namespaceFor(llmKey: string): string {
    return `${this.namespace}:${sha256(llmKey)}`;
  }

  /**
   * The generations cached for this prompt or one similar enough, or null. A value this cache
   * cannot read is a miss; so is a lookup that fails or runs out of `lookupTimeout`, unless `failOpen` is false.
   */
  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    let stored: string | null;
    try {
      stored = await this.client.semantic.get(this.namespaceFor(llmKey), prompt, { threshold: this.threshold, timeout: this.lookupTimeout });
    } catch (error) {
      if (!this.failOpen || !isCacheOutage(error)) throw error;
      this.#report(error);
      return null;
    }
    if (stored === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(stored);
    } catch {
      return null;
    }
    if (!Array.isArray(parsed) || !parsed.every(isStoredGeneration)) return null;
    return parsed.map((generation) => deserializeStoredGeneration(generation));
  }

  /**
   * Stores the generations for this prompt under this model configuration, in the background:
   * resolves at once, a failure goes to `onError`. `ferrite.semantic.flush()` and `ferrite.close()` wait for it.
   */
  async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    if (!Array.isArray(value)) throw new FerriteValidationError('value', 'expected an array of generations');
    const serialised = JSON.stringify(value.map((generation) => serializeGeneration(generation)));
    this.client.semantic.setInBackground(this.namespaceFor(llmKey), prompt, serialised, { ttl: this.ttl, onError: (error) => this.#report(error) });
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // A failing report must not fail a call the cache was only meant to speed up.
    }
  }
}
