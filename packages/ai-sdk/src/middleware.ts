import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Middleware,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import { FerriteValidationError } from '@ferrite/core';
import { assertName } from '@ferrite/core/validate';
import type { SemanticApi } from '@ferrite/semantic';
import { lastUserText, scopeOf, usesToolsOrFiles, type CacheMode } from './key.js';
import { decodeGenerate, decodeParts, encode, hitMetadata, zeroUsage, type StoredGenerate } from './stored.js';

/** Any Ferrite client with the semantic plugin: `createFerrite({ transport, plugins: [semantic()] })`. */
export interface SemanticCacheClient {
  readonly semantic: Pick<SemanticApi, 'match' | 'set'>;
}

/** Options of {@link semanticCacheMiddleware}; every one is optional. */
export interface SemanticCacheMiddlewareOptions {
  /**
   * Prefix of the semantic namespaces used; each distinct provider, model, system prompt, history
   * and settings combination gets its own namespace under it. Default `ai-sdk`.
   */
  readonly namespace?: string;
  /** Minimum similarity for a hit, 0 to 1. Default: the semantic plugin's default (0.85 unless set). */
  readonly threshold?: number;
  /** Lifetime of stored answers in whole seconds. Default: the semantic plugin's default. */
  readonly ttl?: number;
  /**
   * The text compared for similarity. Default: the text of the last message when it is a user
   * message. Returning `undefined` (or blank text) sends the call to the model uncached.
   */
  readonly getText?: (params: LanguageModelV4CallOptions) => string | undefined;
  /**
   * Whether a call may be answered from, and stored in, the cache. Default: every call except
   * those that offer tools or carry files (their answers depend on more than the text).
   */
  readonly shouldCache?: (params: LanguageModelV4CallOptions) => boolean;
  /**
   * Called when Ferrite fails to look an answer up or to store one; the call then goes on
   * uncached. Without it, such a failure rejects the call (or errors the stream at its end).
   */
  readonly onError?: (error: unknown) => void;
}

interface Lookup {
  readonly namespace: string;
  readonly text: string;
}

function validate(options: SemanticCacheMiddlewareOptions): void {
  if (options.namespace !== undefined) assertName(options.namespace, 'namespace');
  const { threshold, ttl } = options;
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) {
    throw new FerriteValidationError('threshold', `expected a number from 0 to 1, got ${String(threshold)}`);
  }
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 1)) {
    throw new FerriteValidationError('ttl', `expected a positive whole number of seconds, got ${String(ttl)}`);
  }
}

/**
 * A language-model middleware that answers paraphrased prompts from Ferrite's semantic cache:
 * `wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite) })`. Works with
 * `generateText` and `streamText`; a stream is stored only when it finished normally.
 * Bad options throw a `FerriteValidationError` here, not at the first call.
 */
export function semanticCacheMiddleware(client: SemanticCacheClient, options: SemanticCacheMiddlewareOptions = {}): LanguageModelV4Middleware {
  validate(options);
  const prefix = options.namespace ?? 'ai-sdk';
  const getText = options.getText ?? lastUserText;
  const shouldCache = options.shouldCache ?? ((params: LanguageModelV4CallOptions) => !usesToolsOrFiles(params));
  const lookupOptions = options.threshold === undefined ? {} : { threshold: options.threshold };
  const storeOptions = options.ttl === undefined ? {} : { ttl: options.ttl };

  const lookupFor = (mode: CacheMode, model: LanguageModelV4, params: LanguageModelV4CallOptions): Lookup | undefined => {
    if (!shouldCache(params)) return undefined;
    const text = getText(params);
    if (text === undefined || text.trim().length === 0) return undefined;
    return { namespace: scopeOf(prefix, mode, model, params), text };
  };

  /** Runs a cache operation; with `onError`, a failure is reported and treated as "nothing". */
  const guarded = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    if (!options.onError) return work();
    try {
      return await work();
    } catch (error) {
      options.onError(error);
      return undefined;
    }
  };
  const find = (lookup: Lookup) => guarded(() => client.semantic.match(lookup.namespace, lookup.text, lookupOptions));
  const store = (lookup: Lookup, value: string) => guarded(() => client.semantic.set(lookup.namespace, lookup.text, value, storeOptions));

  return {
    specificationVersion: 'v4',

    async wrapGenerate({ doGenerate, params, model }): Promise<LanguageModelV4GenerateResult> {
      const lookup = lookupFor('generate', model, params);
      if (lookup === undefined) return doGenerate();
      const hit = await find(lookup);
      const stored = hit ? decodeGenerate(hit.value) : undefined;
      if (hit && stored) {
        return { ...stored, usage: zeroUsage(), providerMetadata: hitMetadata(stored.providerMetadata, hit.similarity) };
      }
      const result = await doGenerate();
      if (result.finishReason.unified !== 'error') {
        const generate: StoredGenerate = {
          content: result.content,
          finishReason: result.finishReason,
          providerMetadata: result.providerMetadata,
          warnings: result.warnings,
          structuredOutputText: result.structuredOutputText,
          // Ids and timestamps only: request and response bodies may be large and hold the prompt.
          response: result.response && { id: result.response.id, timestamp: result.response.timestamp, modelId: result.response.modelId },
        };
        const value = encode({ format: 1, generate });
        if (value !== undefined) await store(lookup, value);
      }
      return result;
    },

    async wrapStream({ doStream, params, model }): Promise<LanguageModelV4StreamResult> {
      const lookup = lookupFor('stream', model, params);
      if (lookup === undefined) return doStream();
      const hit = await find(lookup);
      const parts = hit ? decodeParts(hit.value) : undefined;
      if (hit && parts) return { stream: replay(parts, hit.similarity) };

      const result = await doStream();
      const seen: LanguageModelV4StreamPart[] = [];
      let failed = false;
      const recorder = new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
        transform(part, controller) {
          if (part.type === 'error') failed = true;
          else if (part.type !== 'raw') seen.push(part);
          controller.enqueue(part);
        },
        // Runs only when the model's stream ended normally: a cancelled (aborted) stream never gets here.
        async flush() {
          const finish = seen.find((part) => part.type === 'finish');
          if (failed || params.abortSignal?.aborted || finish === undefined || finish.finishReason.unified === 'error') return;
          const value = encode({ format: 1, parts: seen });
          if (value !== undefined) await store(lookup, value);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(recorder) };
    },
  };
}

/** The stored parts as a fresh stream, with zero usage and Ferrite's hit metadata on the finish part. */
function replay(parts: readonly LanguageModelV4StreamPart[], similarity: number): ReadableStream<LanguageModelV4StreamPart> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) {
        controller.enqueue(
          part.type === 'finish' ? { ...part, usage: zeroUsage(), providerMetadata: hitMetadata(part.providerMetadata, similarity) } : part,
        );
      }
      controller.close();
    },
  });
}
