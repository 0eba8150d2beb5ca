import { createFerrite, FerriteValidationError, type FerriteClient } from '@ferrite/core';
import { semantic } from '@ferrite/semantic';
import { describeEachTransport } from '@ferrite/test-transports';
import { AIMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_TTL_SECONDS, FerriteSemanticCache } from './semantic-cache.js';

type Client = FerriteClient<readonly [ReturnType<typeof semantic>]>;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${crypto.randomUUID().slice(0, 8)}`;

/** The emulator's clock, moved forward by the TTL test instead of sleeping. */
let now = Date.UTC(2026, 0, 1);

/** Call options LangChain passes through into `llmKey`, as a provider's `temperature` would be. */
const withTemperature = (temperature: number) => ({ temperature }) as Record<string, unknown>;

describeEachTransport(
  'langchain semantic cache',
  (harness) => {
    let ferrite: Client;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [semantic()] });
    });
    const cacheFor = (options: ConstructorParameters<typeof FerriteSemanticCache>[1] = {}) =>
      new FerriteSemanticCache(ferrite, { namespace: unique('lc'), ...options });

    it('serves a paraphrase from Ferrite: one model call for two prompts', async () => {
      const cache = cacheFor();
      const model = new FakeListChatModel({ responses: ['Use the reset link.', 'second answer'], cache });
      const first = await model.invoke('How do I reset my password?');
      const second = await model.invoke('how do I reset my password');
      expect(first.content).toBe('Use the reset link.');
      expect(second.content).toBe('Use the reset link.');
      expect(second).toBeInstanceOf(AIMessage);
      // The model was asked once: its next answer is still unused.
      expect((await model.invoke('What is the capital of France?')).content).toBe('second answer');
    });

    it('another temperature (another llmKey) misses, and each keeps its own answer', async () => {
      const cache = cacheFor();
      const model = new FakeListChatModel({ responses: ['cold', 'hot', 'unused'], cache });
      expect((await model.invoke('Tell me a joke', withTemperature(0))).content).toBe('cold');
      expect((await model.invoke('Tell me a joke', withTemperature(1))).content).toBe('hot');
      expect((await model.invoke('tell me a joke!', withTemperature(0))).content).toBe('cold');
      expect((await model.invoke('tell me a joke!', withTemperature(1))).content).toBe('hot');
    });

    it('entries expire after the TTL', async () => {
      const cache = cacheFor({ ttl: 60 });
      const model = new FakeListChatModel({ responses: ['fresh', 'recomputed'], cache });
      expect((await model.invoke('What time is it?')).content).toBe('fresh');
      // The answer is stored in the background: let it land before the clock moves.
      await ferrite.semantic.flush();
      now += 59_000;
      expect((await model.invoke('What time is it?')).content).toBe('fresh');
      now += 2_000;
      expect((await model.invoke('What time is it?')).content).toBe('recomputed');
    });

    it('stores LangChain’s own serialisation, under a namespace derived from llmKey', async () => {
      const cache = cacheFor();
      const generations = [{ text: 'hello', message: new AIMessage({ content: 'hello', additional_kwargs: { note: 'x' } }) }];
      await cache.update('greet me', 'llm-key-1', generations);
      await ferrite.semantic.flush();
      const raw = await ferrite.semantic.get(cache.namespaceFor('llm-key-1'), 'greet me', { threshold: 1 });
      expect(JSON.parse(raw as string)).toEqual([{ text: 'hello', message: { type: 'ai', data: expect.objectContaining({ content: 'hello' }) } }]);
      const found = await cache.lookup('greet me!', 'llm-key-1');
      expect(found?.[0]?.text).toBe('hello');
      const message = (found?.[0] as { message?: AIMessage } | undefined)?.message;
      expect(message).toBeInstanceOf(AIMessage);
      expect(message?.additional_kwargs).toEqual({ note: 'x' });
      expect(await cache.lookup('greet me', 'llm-key-2')).toBeNull();
      expect(cache.namespaceFor('llm-key-1')).toMatch(new RegExp(`^${cache.namespace}:[0-9a-f]{64}$`));
    });

    it('the threshold decides what counts as a paraphrase', async () => {
      const strict = cacheFor({ threshold: 1 });
      await strict.update('How do I reset my password?', 'k', [{ text: 'a' }]);
      expect(await strict.lookup('how do I reset my password', 'k')).toEqual([{ text: 'a' }]); // same normalised text
      expect(await strict.lookup('How can I reset my password?', 'k')).toBeNull();
      const loose = new FerriteSemanticCache(ferrite, { namespace: strict.namespace, threshold: 0.5 });
      expect(await loose.lookup('How can I reset my password?', 'k')).toEqual([{ text: 'a' }]);
    });

    it('a value it did not write is a miss, and the next update replaces it', async () => {
      const cache = cacheFor();
      await ferrite.semantic.set(cache.namespaceFor('k'), 'prompt', 'not json');
      expect(await cache.lookup('prompt', 'k')).toBeNull();
      await ferrite.semantic.set(cache.namespaceFor('k'), 'prompt', '{"text":"an object, not an array"}');
      expect(await cache.lookup('prompt', 'k')).toBeNull();
      await cache.update('prompt', 'k', [{ text: 'ok' }]);
      expect(await cache.lookup('prompt', 'k')).toEqual([{ text: 'ok' }]);
    });
  },
  { emulatorOptions: () => ({ clock: () => now }) },
);

describe('FerriteSemanticCache options', () => {
  const ferrite = { semantic: {} } as unknown as Client;
  it('rejects bad options when made', () => {
    expect(() => new FerriteSemanticCache(ferrite, { threshold: 1.5 })).toThrow(FerriteValidationError);
    expect(() => new FerriteSemanticCache(ferrite, { threshold: Number.NaN })).toThrow(/threshold/);
    expect(() => new FerriteSemanticCache(ferrite, { ttl: 0 })).toThrow(/ttl/);
    expect(() => new FerriteSemanticCache(ferrite, { ttl: 1.5 })).toThrow(/ttl/);
    expect(() => new FerriteSemanticCache(ferrite, { namespacePrefix: '' })).toThrow(/namespacePrefix/);
    expect(() => new FerriteSemanticCache(ferrite, { namespace: '' })).toThrow(/namespace/);
    expect(() => new FerriteSemanticCache(ferrite, { namespace: 'a', namespacePrefix: 'b' })).toThrow(/namespace/);
    expect(() => new FerriteSemanticCache(ferrite, { lookupTimeout: -1 })).toThrow(/lookupTimeout/);
    expect(() => new FerriteSemanticCache(ferrite, { failOpen: 'yes' as unknown as boolean })).toThrow(/failOpen/);
    expect(() => new FerriteSemanticCache({} as Client)).toThrow(/semantic plugin/);
    expect(new FerriteSemanticCache(ferrite, { ttl: null }).ttl).toBeNull();
    expect(new FerriteSemanticCache(ferrite).ttl).toBe(DEFAULT_CACHE_TTL_SECONDS);
    // The deprecated alias still works, and reads back under both names.
    const aliased = new FerriteSemanticCache(ferrite, { namespacePrefix: 'old-name' });
    expect([aliased.namespace, aliased.namespacePrefix]).toEqual(['old-name', 'old-name']);
  });
});
