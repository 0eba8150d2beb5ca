import { createFerrite, type FerriteClient } from '@ferrite/core';
import { semantic } from '@ferrite/semantic';
import { openProxiedTransport, proxiedTargets, type ProxiedTransport } from '@ferrite/test-transports';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOOKUP_TIMEOUT_MS, semanticCacheMiddleware, type SemanticCacheMiddlewareOptions } from './index.js';
import { mockModel, sleep } from './__tests__/models.js';

/** How long the mock model takes to answer. */
const MODEL_MS = 50;
/**
 * Room for a loaded machine on top of lookupTimeout + the model's time. Below the client's
 * deadline, so a call that waited for the deadline instead of the budget still fails.
 */
const SLACK_MS = 1500;

const PROMPT = 'What is the capital of France?';
/** The deadline of a store that can only fail: what the case waits before it is reported. */
const STORE_DEADLINE_MS = 600;

for (const target of proxiedTargets) {
  describe(`semanticCacheMiddleware under faults (${target.label}, through a fault proxy)`, () => {
    // A fresh connection per case: a blackholed connection stays out of step with its server.
    let opened: ProxiedTransport;
    let ferrite: FerriteClient<readonly [ReturnType<typeof semantic>]>;
    let errors: unknown[];
    const cachedModel = (model: ReturnType<typeof mockModel>, extra: SemanticCacheMiddlewareOptions = {}, client = ferrite) => {
      const reported = errors;
      return wrapLanguageModel({
        model,
        middleware: semanticCacheMiddleware(client, { namespace: 'faults', onError: (error) => void reported.push(error), ...extra }),
      });
    };

    beforeEach(async () => {
      errors = [];
      opened = await openProxiedTransport(target);
      // A short client deadline, so a store stuck on a dead connection gives up within the test;
      // still above lookupTimeout + the model's time + SLACK_MS, so the budget is what is measured.
      ferrite = createFerrite({ transport: opened.transport, plugins: [semantic()], timeout: 2500 });
    });
    afterEach(async () => {
      await ferrite.close();
      await opened.close();
    });

    it('answers from the model within lookupTimeout + the model’s time when the server is blackholed, and no error reaches the caller', async () => {
      const model = mockModel({ before: (signal) => sleep(MODEL_MS, signal) });
      const cached = cachedModel(model);
      opened.proxy.blackhole(true);

      let started = performance.now();
      const generated = await generateText({ model: cached, prompt: PROMPT });
      let elapsed = performance.now() - started;
      expect(generated.text).toBe('Answer #1: Paris.');
      expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_LOOKUP_TIMEOUT_MS - 5);
      expect(elapsed).toBeLessThan(DEFAULT_LOOKUP_TIMEOUT_MS + MODEL_MS + SLACK_MS);

      started = performance.now();
      const streamErrors: unknown[] = [];
      const streamed = streamText({ model: cached, prompt: PROMPT, onError: ({ error }) => void streamErrors.push(error) });
      expect(await streamed.text).toBe('Answer #2: Paris is the capital.');
      elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(DEFAULT_LOOKUP_TIMEOUT_MS + MODEL_MS + SLACK_MS);
      expect(streamErrors).toEqual([]);
      // Both lookups timed out and were reported; the stores are still pending in the blackhole.
      expect(errors.map((error) => (error as Error).name)).toEqual(['FerriteTimeoutError', 'FerriteTimeoutError']);
    });

    it('rejects the call instead with failOpen: false', async () => {
      const model = mockModel();
      opened.proxy.blackhole(true);
      await expect(generateText({ model: cachedModel(model, { failOpen: false, lookupTimeout: 100 }), prompt: PROMPT, maxRetries: 0 })).rejects.toMatchObject({
        name: 'FerriteTimeoutError',
      });
      expect(model.doGenerateCalls).toHaveLength(0);
    });

    it('a store that hangs never delays the answer', async () => {
      // The lookup goes through; the fault starts while the model is answering, so only the store meets it.
      const model = mockModel({ before: () => opened.proxy.blackhole(true) });
      const cached = cachedModel(model, { lookupTimeout: 5000 });
      let started = performance.now();
      expect((await generateText({ model: cached, prompt: PROMPT })).text).toBe('Answer #1: Paris.');
      expect(performance.now() - started).toBeLessThan(SLACK_MS);
      opened.proxy.passThrough();
      started = performance.now();
      // Its store hangs in the blackhole too; this stream's lookup cannot get through either, so it waits out its budget.
      const streamed = streamText({ model: cached, prompt: 'Which city is the capital of Italy?', onError: () => {} });
      expect(await streamed.text).toBe('Answer #2: Paris is the capital.');
      expect(errors).toEqual([]);
      // close() waits for the stores still pending, within its budget, and leaves none behind.
      const closing = performance.now();
      await ferrite.close();
      expect(performance.now() - closing).toBeLessThan(SLACK_MS);
      await ferrite.semantic.flush();
    });

    it('a store that fails never fails the answer, and is reported', async () => {
      const model = mockModel({
        before: async () => {
          opened.proxy.refuseNewConnections(true);
          await opened.proxy.cut({ mode: 'rst' });
        },
      });
      // The store waits for its deadline (new connections are refused): a short one, so the case
      // does not wait out the client's 2.5 s. The lookup has its own budget.
      const cached = cachedModel(model, { lookupTimeout: 5000 }, ferrite.withOptions({ timeout: STORE_DEADLINE_MS }));
      expect((await generateText({ model: cached, prompt: PROMPT })).text).toBe('Answer #1: Paris.');
      await ferrite.semantic.flush();
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).name).toMatch(/^Ferrite(Connection|Timeout)Error$/);
    });

    it('abortSignal aborts a pending lookup within 50 ms', async () => {
      const model = mockModel();
      const cached = cachedModel(model, { lookupTimeout: 10_000 });
      opened.proxy.blackhole(true);
      for (const call of ['generate', 'stream'] as const) {
        const controller = new AbortController();
        const settled =
          call === 'generate'
            ? generateText({ model: cached, prompt: PROMPT, abortSignal: controller.signal, maxRetries: 0 }).then(
                () => 'answered',
                () => 'rejected',
              )
            : streamText({ model: cached, prompt: PROMPT, abortSignal: controller.signal, onError: () => {} }).text.then(
                () => 'answered',
                () => 'rejected',
              );
        await sleep(100);
        const aborted = performance.now();
        // How late the event loop runs a timer due now: a loaded machine delays the abort's
        // settling by as much, which is not the library's time.
        const loopLateness = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - aborted), 0));
        controller.abort();
        expect(await settled).toBe('rejected');
        const took = performance.now() - aborted;
        expect(took - (await loopLateness), call).toBeLessThan(50);
      }
      expect(model.doGenerateCalls).toHaveLength(0);
      expect(model.doStreamCalls).toHaveLength(0);
      // The caller gave up: that is not a cache failure.
      expect(errors).toEqual([]);
    });
  });
}
