import { FerriteValidationError } from '@ferrite/core';
import { assertName } from '@ferrite/core/validate';
import type { SemanticApi } from '@ferrite/semantic';
import { BaseCache, deserializeStoredGeneration, serializeGeneration } from '@langchain/core/caches';
import type { StoredGeneration } from '@langchain/core/messages';
import type { Generation } from '@langchain/core/outputs';
import { sha256 } from '@langchain/core/utils/hash';

/** A Ferrite client with the semantic plugin: `createFerrite({ transport, plugins: [semantic()] })`. */
export interface FerriteSemanticClient {
  readonly semantic: SemanticApi;
}

/** Options of `FerriteSemanticCache`; the semantic plugin's defaults apply to those left out. */
export interface FerriteSemanticCacheOptions {
  /** Minimum similarity for a prompt to hit, 0 to 1 inclusive. Default: the semantic plugin's (0.85). */
  readonly threshold?: number;
  /** Lifetime of cached generations in whole seconds; `null` for none. Default: the semantic plugin's. */
  readonly ttl?: number | null;
  /** Start of every namespace this cache uses (default `langchain`); one per application keeps them apart. */
  readonly namespacePrefix?: string;
}

/** The namespace prefix when none is given: namespaces are `langchain:<sha256 of the llmKey>`. */
export const DEFAULT_NAMESPACE_PREFIX = 'langchain';

function isStoredGeneration(value: unknown): value is StoredGeneration {
  return typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';
}

/**
 * Ferrite's semantic cache as LangChain's LLM cache: `new ChatOpenAI({ cache })`. A prompt close
 * enough in meaning to one already answered (by the server's embedding) gets that answer. Each
 * model configuration (`llmKey`: the model, its temperature, its other call options) has its own
 * namespace, so one configuration never answers for another. Generations are stored with
 * LangChain's own serialisation, so chat messages come back as messages.
 */
export class FerriteSemanticCache extends BaseCache<Generation[]> {
  readonly client: FerriteSemanticClient;
  readonly threshold: number | undefined;
  readonly ttl: number | null | undefined;
  readonly namespacePrefix: string;

  constructor(client: FerriteSemanticClient, options: FerriteSemanticCacheOptions = {}) {
    super();
    if (typeof client !== 'object' || client === null || typeof client.semantic !== 'object' || client.semantic === null) {
      throw new FerriteValidationError('client', 'expected a Ferrite client with the semantic plugin');
    }
    const { threshold, ttl, namespacePrefix = DEFAULT_NAMESPACE_PREFIX } = options;
    if (threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) {
      throw new FerriteValidationError('threshold', `expected a number from 0 to 1, got ${String(threshold)}`);
    }
    if (ttl !== undefined && ttl !== null && !(Number.isSafeInteger(ttl) && ttl > 0)) {
      throw new FerriteValidationError('ttl', `expected a positive whole number of seconds or null, got ${String(ttl)}`);
    }
    assertName(namespacePrefix, 'namespacePrefix');
    this.client = client;
    this.threshold = threshold;
    this.ttl = ttl;
    this.namespacePrefix = namespacePrefix;
  }

  /**
   * The namespace holding the answers of one model configuration: the prefix and a SHA-256 of
   * `llmKey`, which is long and may hold any text. Use it with `ferrite.semantic.stats` or `delete`.
   */
  namespaceFor(llmKey: string): string {
    return `${this.namespacePrefix}:${sha256(llmKey)}`;
  }

  /** The generations cached for this prompt or one similar enough, or null. A value this cache cannot read is a miss. */
  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const stored = await this.client.semantic.get(this.namespaceFor(llmKey), prompt, { threshold: this.threshold });
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

  /** Stores the generations for this prompt under this model configuration. */
  async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    if (!Array.isArray(value)) throw new FerriteValidationError('value', 'expected an array of generations');
    const serialised = JSON.stringify(value.map((generation) => serializeGeneration(generation)));
    await this.client.semantic.set(this.namespaceFor(llmKey), prompt, serialised, { ttl: this.ttl });
  }
}
