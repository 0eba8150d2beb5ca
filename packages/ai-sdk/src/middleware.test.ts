import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { createFerrite, FerriteValidationError } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import { describeEachTransport } from '@ferrite/test-transports';
import { generateText, simulateReadableStream, streamText, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { semanticCacheMiddleware, type SemanticCacheMiddlewareOptions } from './index.js';
import { mockModel, STAMP, streamParts, usage } from './__tests__/models.js';

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

      const otherModel = mockModel({ modelId: 'other-model' });
      const otherCached = wrapLanguageModel({ model: otherModel, middleware: semanticCacheMiddleware(client, settings) });
      await generateText({ model: otherCached, system: 'Answer briefly.', prompt });
      expect(otherModel.doGenerateCalls).toHaveLength(1);
    });

    it('follow-up turns: skipped by default, cached by their last message with "ignore", by the whole conversation with "compare"', async () => {
      const conversation = (opening: string) => [
        { role: 'user' as const, content: opening },
        { role: 'assistant' as const, content: 'Sure.' },
        { role: 'user' as const, content: 'And what is its population?' },
      ];
      const run = async (history?: 'ignore' | 'compare') => {
        const model = mockModel();
        const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite(), options(history ? { history } : {})) });
        await generateText({ model: cached, messages: conversation('Tell me about Paris.') });
        await generateText({ model: cached, messages: conversation('Tell me about Paris.') });
        await generateText({ model: cached, messages: conversation('Tell me about the history of Lima in Peru.') });
        return model.doGenerateCalls.length;
      };
      expect(await run()).toBe(3);
      expect(await run('ignore')).toBe(1);
      expect(await run('compare')).toBe(2);
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

describe('semanticCacheMiddleware options', () => {
  it('rejects bad options when it is made', () => {
    const ferrite = createFerrite({ transport: memoryTransport(), plugins: [semantic()] });
    expect(() => semanticCacheMiddleware(ferrite, { threshold: 1.5 })).toThrow(FerriteValidationError);
    expect(() => semanticCacheMiddleware(ferrite, { ttl: 0 })).toThrow(FerriteValidationError);
    expect(() => semanticCacheMiddleware(ferrite, { namespace: 'a\nb' })).toThrow(FerriteValidationError);
    expect(() => semanticCacheMiddleware(ferrite, { lookupTimeout: 0 })).toThrow(/lookupTimeout/);
    expect(() => semanticCacheMiddleware(ferrite, { failOpen: 1 as unknown as boolean })).toThrow(/failOpen/);
    expect(() => semanticCacheMiddleware(ferrite, { history: 'all' as unknown as 'skip' })).toThrow(/history/);
    expect(() => semanticCacheMiddleware(ferrite, { ttl: null })).not.toThrow();
  });
});
