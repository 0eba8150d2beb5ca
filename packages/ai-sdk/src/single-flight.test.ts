import { createFerrite } from '@ferrite/core';
import { semantic } from '@ferrite/semantic';
import { describeEachTransport } from '@ferrite/test-transports';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { expect, it, vi } from 'vitest';
import { semanticCacheMiddleware } from './index.js';
import { mockModel, sleep } from './__tests__/models.js';

/** A model that takes `ms` to answer, and the signal its last call ran under (the shared call's, not a caller's). */
function slowModel(ms: number) {
  let last: AbortSignal | undefined;
  const model = mockModel({
    before: async (signal) => {
      last = signal;
      await sleep(ms, signal);
    },
  });
  return { model, modelSignal: () => last };
}

describeEachTransport(
  'semanticCacheMiddleware single flight',
  (harness) => {
    let counter = 0;
    const cachedModel = (model: ReturnType<typeof mockModel>) =>
      wrapLanguageModel({
        model,
        middleware: semanticCacheMiddleware(createFerrite({ transport: harness.transport, plugins: [semantic()] }), {
          namespace: `flight-${harness.target.label}-${++counter}`,
        }),
      });

    it('ten concurrent identical prompts make one model call, and all get its answer', async () => {
      const model = mockModel({ before: (signal) => sleep(100, signal) });
      const cached = cachedModel(model);
      const results = await Promise.all(Array.from({ length: 10 }, () => generateText({ model: cached, prompt: 'What is the capital of France?' })));
      expect(model.doGenerateCalls).toHaveLength(1);
      expect(new Set(results.map((result) => result.text))).toEqual(new Set(['Answer #1: Paris.']));
      // Other prompts are not held up by, nor joined to, that flight.
      await generateText({ model: cached, prompt: 'What is the capital of Spain?' });
      expect(model.doGenerateCalls).toHaveLength(2);
    });

    it('one caller aborting detaches only that caller: the shared model call goes on for the others', async () => {
      const { model, modelSignal } = slowModel(200);
      const cached = cachedModel(model);
      const impatient = new AbortController();
      const prompt = 'What is the capital of Italy?';
      const first = generateText({ model: cached, prompt, abortSignal: impatient.signal, maxRetries: 0 }).then(
        () => 'answered',
        (error: unknown) => (error as Error).name,
      );
      const others = Array.from({ length: 3 }, () => generateText({ model: cached, prompt }));
      await sleep(50);
      impatient.abort();
      expect(await first).toBe('FerriteAbortError');
      const answers = await Promise.all(others);
      expect(answers.map((answer) => answer.text)).toEqual(Array(3).fill('Answer #1: Paris.'));
      expect(model.doGenerateCalls).toHaveLength(1);
      expect(modelSignal()?.aborted).toBe(false);
    });

    it('the model call is aborted once every caller has given up', async () => {
      const { model, modelSignal } = slowModel(5000);
      const cached = cachedModel(model);
      const controllers = [new AbortController(), new AbortController()];
      const calls = controllers.map((controller) =>
        generateText({ model: cached, prompt: 'What is the capital of Peru?', abortSignal: controller.signal, maxRetries: 0 }).catch(() => 'gave up'),
      );
      // Until the shared model call has started (the lookups may take a while on a loaded machine).
      await vi.waitFor(() => expect(modelSignal()).toBeDefined(), { timeout: 5000 });
      for (const controller of controllers) controller.abort();
      expect(await Promise.all(calls)).toEqual(['gave up', 'gave up']);
      expect(modelSignal()?.aborted).toBe(true);
    });

    it('ten concurrent identical streamText calls make one model stream, and each reads all of it', async () => {
      const model = mockModel({ before: (signal) => sleep(100, signal) });
      const cached = cachedModel(model);
      const texts = await Promise.all(Array.from({ length: 10 }, () => streamText({ model: cached, prompt: 'Name the capital of France.' }).text));
      expect(model.doStreamCalls).toHaveLength(1);
      expect(new Set(texts)).toEqual(new Set(['Answer #1: Paris is the capital.']));
      // Stored once finished: the next call is a hit.
      expect(await streamText({ model: cached, prompt: 'Name the capital of France.' }).text).toBe('Answer #1: Paris is the capital.');
      expect(model.doStreamCalls).toHaveLength(1);
    });

    it('one streamText caller aborting leaves the shared stream to the others; all aborting cancels it', async () => {
      const { model, modelSignal } = slowModel(200);
      const cached = cachedModel(model);
      const impatient = new AbortController();
      const prompt = 'Name the capital of Italy.';
      const first = streamText({ model: cached, prompt, abortSignal: impatient.signal, onError: () => {} }).text.then(
        () => 'answered',
        () => 'gave up',
      );
      const other = streamText({ model: cached, prompt }).text;
      await sleep(50);
      impatient.abort();
      expect(await first).toBe('gave up');
      expect(await other).toBe('Answer #1: Paris is the capital.');
      expect(modelSignal()?.aborted).toBe(false);

      const everyone = [new AbortController(), new AbortController()];
      const calls = everyone.map((controller) =>
        Promise.resolve(streamText({ model: cached, prompt: 'Name the capital of Peru.', abortSignal: controller.signal, onError: () => {} }).text).catch(() => 'gave up'),
      );
      await vi.waitFor(() => expect(model.doStreamCalls).toHaveLength(2), { timeout: 5000 });
      for (const controller of everyone) controller.abort();
      expect(await Promise.all(calls)).toEqual(['gave up', 'gave up']);
      expect(modelSignal()?.aborted).toBe(true);
      expect(model.doStreamCalls).toHaveLength(2);
    });
  },
  { drivers: ['memory', 'ioredis', 'node-redis'] },
);
