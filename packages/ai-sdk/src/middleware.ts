import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Middleware,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import { isCacheOutage, SingleFlight, type SemanticApi, type SemanticMatch } from '@ferrite/semantic';
import { hasHistory, historyText, lastUserText, scopeOf, usesToolsOrFiles, type CacheMode } from './key.js';
import { DEFAULT_LOOKUP_TIMEOUT_MS, DEFAULT_NAMESPACE, DEFAULT_TTL_SECONDS, validateOptions, type SemanticCacheMiddlewareOptions } from './options.js';
import { SharedStream } from './shared-stream.js';
import { decodeGenerate, decodeParts, encode, hitMetadata, zeroUsage, type StoredGenerate } from './stored.js';

/** Any Ferrite client with the semantic plugin: `createFerrite({ transport, plugins: [semantic()] })`. */
export interface SemanticCacheClient {
  readonly semantic: Pick<SemanticApi, 'match' | 'setInBackground'>;
}

interface Lookup {
  readonly namespace: string;
  readonly text: string;
}

/** A model stream being read for every caller that asked for it, and what `doStream` returned besides the stream. */
interface RunningStream {
  readonly shared: SharedStream;
  readonly result: Promise<Omit<LanguageModelV4StreamResult, 'stream'>>;
}

/**
 * A language-model middleware that answers paraphrased prompts from Ferrite's semantic cache:
 * `wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite) })`. Works with
 * `generateText` and `streamText`; a stream is stored only when it finished normally.
 * The cache fails open, never holds an answer up for its store, and shares one model call
 * (or stream) between concurrent identical calls (see the README).
 * Bad options throw a `FerriteValidationError` here, not at the first call.
 */
export function semanticCacheMiddleware(client: SemanticCacheClient, options: SemanticCacheMiddlewareOptions = {}): LanguageModelV4Middleware {
  validateOptions(options);
  const prefix = options.namespace ?? DEFAULT_NAMESPACE;
  const getText = options.getText ?? lastUserText;
  const shouldCache = options.shouldCache ?? ((params: LanguageModelV4CallOptions) => !usesToolsOrFiles(params));
  const history = options.history ?? 'skip';
  const failOpen = options.failOpen ?? true;
  const timeout = options.lookupTimeout ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  const ttl = options.ttl === undefined ? DEFAULT_TTL_SECONDS : options.ttl;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A failing report must not fail a call the cache was only meant to speed up.
    }
  };
  // Concurrent identical calls share one lookup and one model call; each caller's signal detaches only that caller.
  const flights = new SingleFlight();

  const lookupFor = (mode: CacheMode, model: LanguageModelV4, params: LanguageModelV4CallOptions): Lookup | undefined => {
    if (!shouldCache(params)) return undefined;
    const earlier = hasHistory(params);
    if (earlier && history === 'skip') return undefined;
    const last = getText(params);
    if (last === undefined || last.trim().length === 0) return undefined;
    const text = earlier && history === 'compare' ? `${historyText(params)}\nuser: ${last}` : last;
    return { namespace: scopeOf(prefix, mode, model, params), text };
  };

  /** The lookup under the budget and the signal; an outage is a miss when failing open. */
  const find = async (lookup: Lookup, signal: AbortSignal | undefined): Promise<SemanticMatch | null> => {
    try {
      return await client.semantic.match(lookup.namespace, lookup.text, { threshold: options.threshold, timeout, signal });
    } catch (error) {
      if (signal?.aborted || !failOpen || !isCacheOutage(error)) throw error;
      report(error);
      return null;
    }
  };
  const store = (lookup: Lookup, value: string) => {
    try {
      client.semantic.setInBackground(lookup.namespace, lookup.text, value, { ttl, onError: report });
    } catch (error) {
      // Text the server would refuse (from a custom getText): the answer is delivered uncached.
      report(error);
    }
  };

  const generate = async (lookup: Lookup, model: LanguageModelV4, params: LanguageModelV4CallOptions, signal: AbortSignal): Promise<LanguageModelV4GenerateResult> => {
    const hit = await find(lookup, signal);
    const stored = hit ? decodeGenerate(hit.value) : undefined;
    if (hit && stored) {
      return { ...stored, usage: zeroUsage(), providerMetadata: hitMetadata(stored.providerMetadata, hit.similarity) };
    }
    // The shared call runs under the flight's signal, which aborts only once every caller gave up.
    const result = await model.doGenerate({ ...params, abortSignal: signal });
    if (result.finishReason.unified !== 'error' && !signal.aborted) {
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
      if (value !== undefined) store(lookup, value);
    }
    return result;
  };

  /** Model streams running now, by namespace and text: identical `streamText` calls join them. */
  const streams = new Map<string, RunningStream>();
  const startStream = (key: string, lookup: Lookup, model: LanguageModelV4, params: LanguageModelV4CallOptions): RunningStream => {
    // The shared model call runs under a signal of its own, aborted once every caller has gone.
    const controller = new AbortController();
    const started = Promise.resolve(model.doStream({ ...params, abortSignal: controller.signal }));
    const result = started.then(({ stream: _stream, ...rest }) => rest);
    const shared = new SharedStream(
      started.then(({ stream }) => stream),
      () => controller.abort(),
    );
    const running: RunningStream = { shared, result };
    streams.set(key, running);
    // A start that fails reaches the callers through their streams and `result`.
    result.catch(() => {});
    void shared.finished.then((parts) => {
      if (streams.get(key) === running) streams.delete(key);
      // Stored only when it finished normally: not cancelled by everyone, no error part, a finish that is not an error.
      if (parts === undefined || controller.signal.aborted || parts.some((part) => part.type === 'error')) return;
      const finish = parts.find((part) => part.type === 'finish');
      if (finish === undefined || finish.finishReason.unified === 'error') return;
      const value = encode({ format: 1, parts: parts.filter((part) => part.type !== 'raw') });
      if (value !== undefined) store(lookup, value);
    });
    return running;
  };

  return {
    specificationVersion: 'v4',

    async wrapGenerate({ doGenerate, params, model }): Promise<LanguageModelV4GenerateResult> {
      const lookup = lookupFor('generate', model, params);
      if (lookup === undefined) return doGenerate();
      const key = `${lookup.namespace}\0${lookup.text}`;
      const { value } = await flights.run(key, (signal) => generate(lookup, model, params, signal), params.abortSignal);
      return value;
    },

    async wrapStream({ doStream, params, model }): Promise<LanguageModelV4StreamResult> {
      const lookup = lookupFor('stream', model, params);
      if (lookup === undefined) return doStream();
      // Raw chunks are only for callers who asked for them: they share only among themselves.
      const key = `${lookup.namespace}\0${params.includeRawChunks === true ? 'raw' : ''}\0${lookup.text}`;
      let running = streams.get(key);
      if (running === undefined) {
        const hit = await find(lookup, params.abortSignal);
        const parts = hit ? decodeParts(hit.value) : undefined;
        if (hit && parts) return { stream: replay(parts, hit.similarity) };
        // Another caller may have started the same stream while this one looked up.
        running = streams.get(key) ?? startStream(key, lookup, model, params);
      }
      const stream = running.shared.subscribe(params.abortSignal);
      const result = await untilAborted(running.result, params.abortSignal);
      return { ...result, stream };
    },
  };
}

/** Waits for `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
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
