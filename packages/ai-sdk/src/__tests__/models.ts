import type { LanguageModelV4GenerateResult, LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';

export const usage: LanguageModelV4Usage = {
  inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 7, text: 7, reasoning: 0 },
};
export const STAMP = new Date('2026-01-02T03:04:05.678Z');

export function streamParts(text: string, ending: 'finish' | 'error' = 'finish'): LanguageModelV4StreamPart[] {
  const words = text.split(' ').map((word, i) => (i === 0 ? word : ` ${word}`));
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp-stream', timestamp: STAMP, modelId: 'mock-model' },
    { type: 'text-start', id: 't1' },
    ...words.map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't1', delta })),
    // Some providers report an error mid-stream and still finish the stream normally.
    ...(ending === 'error' ? [{ type: 'error', error: new Error('the model is overloaded') } as const] : []),
    { type: 'text-end', id: 't1' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'end_turn' }, usage },
  ];
}

export interface MockModelOptions {
  readonly modelId?: string;
  /** Runs before each answer, with the call's signal: a model that takes its time, or a fault injected mid-call. */
  readonly before?: (signal: AbortSignal | undefined) => Promise<void> | void;
}

/** A stand-in for a paid model: answers with a numbered reply, so a replayed answer is recognisable. */
export function mockModel({ modelId = 'mock-model', before }: MockModelOptions = {}) {
  let answers = 0;
  return new MockLanguageModelV4({
    provider: 'mock-provider',
    modelId,
    doGenerate: async ({ abortSignal }): Promise<LanguageModelV4GenerateResult> => {
      await before?.(abortSignal);
      return {
        content: [{ type: 'text', text: `Answer #${++answers}: Paris.` }],
        finishReason: { unified: 'stop', raw: 'end_turn' },
        usage,
        warnings: [],
        providerMetadata: { mock: { requestId: `req-${answers}` } },
        response: { id: `resp-${answers}`, timestamp: STAMP, modelId },
      };
    },
    doStream: async ({ abortSignal }) => {
      await before?.(abortSignal);
      return { stream: simulateReadableStream({ chunks: streamParts(`Answer #${++answers}: Paris is the capital.`) }) };
    },
  });
}

/** Resolves after `ms`, or rejects when `signal` aborts first (as a provider's HTTP call would). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
