import { createFerrite, type FerriteClient } from '@ferrite/core';
import { semantic } from '@ferrite/semantic';
import { openProxiedTransport, proxiedTargets, type ProxiedTransport } from '@ferrite/test-transports';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_LOOKUP_TIMEOUT_MS, FerriteSemanticCache } from './semantic-cache.js';

/** Room for a loaded machine; below the client's deadline, so waiting for it instead of the budget fails. */
const SLACK_MS = 1500;
/** The deadline of a store stuck in a blackhole: what the case waits before it is reported. */
const STORE_DEADLINE_MS = 600;

for (const target of proxiedTargets) {
  describe(`FerriteSemanticCache under faults (${target.label}, through a fault proxy)`, () => {
    // A fresh connection per case: a blackholed connection stays out of step with its server.
    let opened: ProxiedTransport;
    let ferrite: FerriteClient<readonly [ReturnType<typeof semantic>]>;
    beforeEach(async () => {
      opened = await openProxiedTransport(target);
      ferrite = createFerrite({ transport: opened.transport, plugins: [semantic()], timeout: 2500 });
    });
    afterEach(async () => {
      await ferrite.close();
      await opened.close();
    });

    it('answers from the model within lookupTimeout when the server is blackholed, reporting instead of failing', async () => {
      const errors: unknown[] = [];
      const cache = new FerriteSemanticCache(ferrite, { namespace: 'lc-faults', onError: (error) => void errors.push(error) });
      const model = new FakeListChatModel({ responses: ['Use the reset link.'], cache });
      opened.proxy.blackhole(true);
      const started = performance.now();
      expect((await model.invoke('How do I reset my password?')).content).toBe('Use the reset link.');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_CACHE_LOOKUP_TIMEOUT_MS - 5);
      expect(elapsed).toBeLessThan(DEFAULT_CACHE_LOOKUP_TIMEOUT_MS + SLACK_MS);
      expect(errors.map((error) => (error as Error).name)).toEqual(['FerriteTimeoutError']);
    });

    it('rejects the model call with failOpen: false', async () => {
      const cache = new FerriteSemanticCache(ferrite, { namespace: 'lc-strict', failOpen: false, lookupTimeout: 100 });
      const model = new FakeListChatModel({ responses: ['never'], cache });
      opened.proxy.blackhole(true);
      await expect(model.invoke('How do I reset my password?')).rejects.toMatchObject({ name: 'FerriteTimeoutError' });
    });

    it('a store that fails or hangs never fails or delays the answer', async () => {
      const errors: unknown[] = [];
      // The store hangs until its deadline: a short one, so the case does not wait out the client's
      // 2.5 s. The lookup has its own budget.
      const storing = ferrite.withOptions({ timeout: STORE_DEADLINE_MS });
      const cache = new FerriteSemanticCache(storing, { namespace: 'lc-store', lookupTimeout: 5000, onError: (error) => void errors.push(error) });
      // The lookup goes through; the server stops answering while the model runs, so only the store meets it.
      const proxy = opened.proxy;
      class BlackholingModel extends FakeListChatModel {
        override _generate(...args: Parameters<FakeListChatModel['_generate']>) {
          proxy.blackhole(true);
          return super._generate(...args);
        }
      }
      const model = new BlackholingModel({ responses: ['Use the reset link.'], cache });
      const started = performance.now();
      expect((await model.invoke('How do I reset my password?')).content).toBe('Use the reset link.');
      expect(performance.now() - started).toBeLessThan(SLACK_MS);
      expect(errors).toEqual([]);
      await ferrite.semantic.flush();
      expect(errors.map((error) => (error as Error).name)).toEqual(['FerriteTimeoutError']);
    });
  });
}
