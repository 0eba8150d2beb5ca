import { readmeExampleIn } from '@ferrite/testkit';
import type { LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import { generateText, simulateReadableStream, streamText, wrapLanguageModel } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { semanticCacheMiddleware } from './index.js';


it('the README example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };
  // The README uses a real provider's model; this stands in for it.
  let calls = 0;
  const model = new MockLanguageModelV4({
    doGenerate: async (): Promise<LanguageModelV4GenerateResult> => ({
      content: [{ type: 'text', text: `Paris (answer #${++calls})` }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: { inputTokens: { total: 9, noCache: 9, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 3, text: 3, reasoning: 0 } },
      warnings: [],
    }),
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks: [
          { type: 'text-start', id: '1' },
          { type: 'text-delta', id: '1', delta: `Paris (answer #${++calls})` },
          { type: 'text-end', id: '1' },
          {
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: { inputTokens: { total: 9, noCache: 9, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 3, text: 3, reasoning: 0 } },
          },
        ],
      }),
    }),
  });

  // README example: begin
  const ferrite = createFerrite({
    transport: memoryTransport(), // or ioredisTransport(new Redis(...)), nodeRedisTransport(...)
    plugins: [semantic()],
  });

  const cachedModel = wrapLanguageModel({
    model, // any AI SDK language model, e.g. openai('gpt-4.1-mini')
    middleware: semanticCacheMiddleware(ferrite, { namespace: 'geo-bot', threshold: 0.85, ttl: 3600 }),
  });

  const first = await generateText({ model: cachedModel, prompt: 'What is the capital of France?' });
  const second = await generateText({ model: cachedModel, prompt: 'what is the capital city of France' });
  console.log(first.text); // Paris (answer #1)
  console.log(second.text); // Paris (answer #1), from Ferrite: the model was called once
  console.log(second.providerMetadata?.ferrite?.cacheHit); // true
  console.log(second.usage.outputTokens); // 0

  // Streams are stored once they finish normally, and replayed as streams.
  for (const prompt of ['Which city is the capital of France?', 'which city is the capital of France']) {
    let text = '';
    for await (const delta of streamText({ model: cachedModel, prompt }).textStream) text += delta;
    console.log(text); // Paris (answer #2), both times
  }
  await ferrite.close();
  // README example: end

  expect(printed).toEqual(['Paris (answer #1)', 'Paris (answer #1)', true, 0, 'Paris (answer #2)', 'Paris (answer #2)']);
  expect(calls).toBe(2);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
