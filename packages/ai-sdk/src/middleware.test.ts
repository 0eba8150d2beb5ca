import type { LanguageModelV4GenerateResult, LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider';
import { createFerrite, FerriteValidationError } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import { describeEachTransport } from '@ferrite/test-transports';
import { generateText, simulateReadableStream, streamText, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { semanticCacheMiddleware, type SemanticCacheMiddlewareOptions } from './index.js';

const usage: LanguageModelV4Usage = {
  inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 7, text: 7, reasoning: 0 },
};
const STAMP = new Date('2026-01-02T03:04:05.678Z');

/** A stand-in for a paid model: answers with a numbered reply, so a replayed answer is recognisable. */
function mockModel(modelId = 'mock-model') {
  let answers = 0;
  const model = new MockLanguageModelV4({
    provider: 'mock-provider',
    modelId,
    doGenerate: async (): Promise<LanguageModelV4GenerateResult> => ({
      content: [{ type: 'text', text: `Answer #${++answers}: Paris.` }],
      finishReason: { unified: 'stop', raw: 'end_turn' },
      usage,
      warnings: [],
      providerMetadata: { mock: { requestId: `req-${answers}` } },
      response: { id: `resp-${answers}`, timestamp: STAMP, modelId },
    }),
    doStream: async () => ({ stream: simulateReadableStream({ chunks: streamParts(`Answer #${++answers}: Paris is the capital.`) }) }),
  });
  return model;
}

function streamParts(text: string, ending: 'finish' | 'error' = 'finish'): LanguageModelV4StreamPart[] {
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

/** Reads a whole stream, errors included, the way a UI would. */
async function drain(result: ReturnType<typeof streamText>): Promise<{ text: string; parts: string[] }> {
  let text = '';
  const parts: string[] = [];
  for await (const part of result.fullStream) {
    parts.push(part.type);
    if (part.type === 'text-delta') text += part.text;
  }
  return { text, parts };
}

describeEachTransport(
  'semanticCacheMiddleware',
  (harness) => {
    const ferrite = () => createFerrite({ transport: harness.transport, plugins: [semantic()] });
    let counter = 0;
    const options = (extra: SemanticCacheMiddlewareOptions = {}): SemanticCacheMiddlewareOptions => ({
      namespace: `ai-${harness.target.label}-${++counter}`,
      ...extra,
    });

    it('answers a paraphrase from the cache: one model call for two prompts', async () => {
      const model = mockModel();
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      const first = await generateText({ model: cached, prompt: 'What is the capital of France?' });
      const second = await generateText({ model: cached, prompt: 'what is the capital city of France' });

      expect(model.doGenerateCalls).toHaveLength(1);
      expect(second.text).toBe('Answer #1: Paris.');
      expect(second.text).toBe(first.text);
      expect(second.finishReason).toBe('stop');
      expect(second.usage.inputTokens).toBe(0);
      expect(second.usage.outputTokens).toBe(0);
      expect(first.usage.inputTokens).toBe(12);
      expect(second.response.timestamp).toBeInstanceOf(Date);
      expect(second.response.timestamp.getTime()).toBe(STAMP.getTime());
      expect(second.response.id).toBe('resp-1');
      const ferriteMeta = second.providerMetadata?.ferrite as { cacheHit: boolean; similarity: number };
      expect(ferriteMeta.cacheHit).toBe(true);
      expect(ferriteMeta.similarity).toBeGreaterThanOrEqual(0.85);
      expect(second.providerMetadata?.mock).toEqual({ requestId: 'req-1' });
      expect(first.providerMetadata?.ferrite).toBeUndefined();
    });

    it('sends a different question to the model', async () => {
      const model = mockModel();
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      await generateText({ model: cached, prompt: 'What is the capital of France?' });
      const other = await generateText({ model: cached, prompt: 'What is the capital of Spain?' });
      expect(model.doGenerateCalls).toHaveLength(2);
      expect(other.text).toBe('Answer #2: Paris.');
    });

    it('replays a stored stream with identical text and finish reason', async () => {
      const model = mockModel();
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      const live = streamText({ model: cached, prompt: 'What is the capital of France?' });
      const liveRead = await drain(live);
      const replayed = streamText({ model: cached, prompt: 'what is the capital city of France' });
      const replayRead = await drain(replayed);

      expect(model.doStreamCalls).toHaveLength(1);
      expect(replayRead.text).toBe('Answer #1: Paris is the capital.');
      expect(replayRead.text).toBe(liveRead.text);
      expect(replayRead.parts).toEqual(liveRead.parts);
      expect(await replayed.finishReason).toBe(await live.finishReason);
      expect(await replayed.finishReason).toBe('stop');
      expect((await replayed.usage).outputTokens).toBe(0);
      expect((await replayed.providerMetadata)?.ferrite).toMatchObject({ cacheHit: true });
      expect((await replayed.response).timestamp.getTime()).toBe(STAMP.getTime());
    });

    it('misses when the system prompt, a setting, the history or the model changes', async () => {
      const client = ferrite();
      const settings = options();
      const model = mockModel();
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(client, settings) });
      const prompt = 'What is the capital of France?';
      await generateText({ model: cached, system: 'Answer briefly.', prompt });
      await generateText({ model: cached, system: 'Answer at length.', prompt });
      await generateText({ model: cached, system: 'Answer briefly.', prompt, temperature: 0.9 });
      await generateText({
        model: cached,
        system: 'Answer briefly.',
        messages: [
          { role: 'user', content: 'Hello' },
          { role: 'assistant', content: 'Hi!' },
          { role: 'user', content: prompt },
        ],
      });
      expect(model.doGenerateCalls).toHaveLength(4);
      // The same call again is a hit: the misses above were the changes, not noise.
      await generateText({ model: cached, system: 'Answer briefly.', prompt, temperature: 0.9 });
      expect(model.doGenerateCalls).toHaveLength(4);

      const otherModel = mockModel('other-model');
      const otherCached = wrapLanguageModel({ model: otherModel, middleware: semanticCacheMiddleware(client, settings) });
      await generateText({ model: otherCached, system: 'Answer briefly.', prompt });
      expect(otherModel.doGenerateCalls).toHaveLength(1);
    });

    it('bypasses calls with tools or files unless shouldCache allows them', async () => {
      const tools = { weather: tool({ description: 'Weather in a city', inputSchema: z.object({ city: z.string() }) }) };
      const filePrompt = [
        {
          role: 'user' as const,
          content: [
            { type: 'text' as const, text: 'What is in this picture?' },
            { type: 'file' as const, data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' },
          ],
        },
      ];
      const model = mockModel();
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      await generateText({ model: cached, prompt: 'What is the capital of France?', tools });
      await generateText({ model: cached, prompt: 'What is the capital of France?', tools });
      await generateText({ model: cached, messages: filePrompt });
      await generateText({ model: cached, messages: filePrompt });
      expect(model.doGenerateCalls).toHaveLength(4);

      const allowing = mockModel();
      const middleware = semanticCacheMiddleware(ferrite(), options({ shouldCache: () => true }));
      const allowed = wrapLanguageModel({ model: allowing, middleware });
      await generateText({ model: allowed, prompt: 'What is the capital of France?', tools });
      await generateText({ model: allowed, prompt: 'What is the capital of France?', tools });
      expect(allowing.doGenerateCalls).toHaveLength(1);
    });

    it('does not store a generated result that failed or holds binary content', async () => {
      const base = { usage, warnings: [] };
      const model = new MockLanguageModelV4({
        doGenerate: [
          { ...base, content: [{ type: 'text', text: 'Par' }], finishReason: { unified: 'error', raw: 'overloaded' } },
          { ...base, content: [{ type: 'file', mediaType: 'image/png', data: { type: 'data', data: new Uint8Array([1, 2]) } }], finishReason: { unified: 'stop', raw: 'stop' } },
          { ...base, content: [{ type: 'text', text: 'Paris.' }], finishReason: { unified: 'stop', raw: 'stop' } },
        ],
      });
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      for (let i = 0; i < 3; i++) await generateText({ model: cached, prompt: 'What is the capital of France?' });
      expect(model.doGenerateCalls).toHaveLength(3);
      expect((await generateText({ model: cached, prompt: 'What is the capital of France?' })).text).toBe('Paris.');
      expect(model.doGenerateCalls).toHaveLength(3);
    });

    it('does not store a stream that errored', async () => {
      const model = new MockLanguageModelV4({
        doStream: [
          { stream: simulateReadableStream({ chunks: streamParts('Paris is', 'error') }) },
          { stream: simulateReadableStream({ chunks: streamParts('Paris is the capital.') }) },
        ],
      });
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      const broken = await drain(streamText({ model: cached, prompt: 'What is the capital of France?', onError: () => {} }));
      expect(broken.parts).toContain('error');
      const retried = await drain(streamText({ model: cached, prompt: 'What is the capital of France?' }));
      expect(model.doStreamCalls).toHaveLength(2);
      expect(retried.text).toBe('Paris is the capital.');
    });

    it('does not store a stream the caller aborted', async () => {
      const controller = new AbortController();
      const hanging = new ReadableStream<LanguageModelV4StreamPart>({
        start(stream) {
          for (const part of streamParts('Paris is the capital.').slice(0, 4)) stream.enqueue(part);
          // …and nothing more until the caller gives up.
        },
      });
      const model = new MockLanguageModelV4({
        doStream: [{ stream: hanging }, { stream: simulateReadableStream({ chunks: streamParts('Paris is the capital.') }) }],
      });
      const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options()) });
      const aborted = streamText({ model: cached, prompt: 'What is the capital of France?', abortSignal: controller.signal, onError: () => {} });
      const seen: string[] = [];
      try {
        for await (const delta of aborted.textStream) {
          seen.push(delta);
          controller.abort();
        }
      } catch {
        // An aborted stream may end with the abort error: either way nothing may be stored.
      }
      expect(seen).toEqual(['Paris']);
      const next = await drain(streamText({ model: cached, prompt: 'What is the capital of France?' }));
      expect(model.doStreamCalls).toHaveLength(2);
      expect(next.text).toBe('Paris is the capital.');
    });
  },
  { drivers: ['memory', 'ioredis', 'node-redis'] },
);

describe('semanticCacheMiddleware without a working cache', () => {
  it('rejects the call by default, and goes on uncached with onError', async () => {
    const closed = createFerrite({ transport: memoryTransport(), plugins: [semantic()] });
    await closed.close();
    const model = mockModel();
    const strict = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(closed) });
    await expect(generateText({ model: strict, prompt: 'What is the capital of France?', maxRetries: 0 })).rejects.toThrow();
    expect(model.doGenerateCalls).toHaveLength(0);

    const errors: unknown[] = [];
    const lenient = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(closed, { onError: (error) => errors.push(error) }) });
    const result = await generateText({ model: lenient, prompt: 'What is the capital of France?' });
    expect(result.text).toBe('Answer #1: Paris.');
    // One failed lookup, one failed store.
    expect(errors).toHaveLength(2);
  });

  it('rejects bad options when it is made', () => {
    const ferrite = createFerrite({ transport: memoryTransport(), plugins: [semantic()] });
    expect(() => semanticCacheMiddleware(ferrite, { threshold: 1.5 })).toThrow(FerriteValidationError);
    expect(() => semanticCacheMiddleware(ferrite, { ttl: 0 })).toThrow(FerriteValidationError);
    expect(() => semanticCacheMiddleware(ferrite, { namespace: 'a\nb' })).toThrow(FerriteValidationError);
  });
});
