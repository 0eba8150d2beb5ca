import { createFerrite } from '@ferrite/core';
import { describeEachClusterFailover } from '@ferrite/test-transports';
import { expect } from 'vitest';
import { semantic } from './plugin.js';

/**
 * The plugin's core operations, then a failover of the primary that owns the namespace, then the
 * same operations: the promoted replica serves the same entries, a cached function keeps answering
 * from the cache (its model is not called again), writes land, and once the transport has followed
 * the one redirect, no more `MOVED`.
 */
describeEachClusterFailover('semantic', async ({ transport, tag, readThroughFailover }) => {
  const ferrite = createFerrite({ transport, plugins: [semantic({ threshold: 0.85 })], timeout: 5000 });
  try {
    const namespace = `${tag}:support`;
    const support = ferrite.semantic.cache(namespace);
    let modelCalls = 0;
    const ask = support.wrap(async (prompt: string) => `answer ${++modelCalls} to: ${prompt}`);
    await ferrite.semantic.set(namespace, 'What are your opening hours?', '9 to 5');
    await ferrite.semantic.set(namespace, 'Where is my parcel?', 'on its way');
    expect(await ask('How do I reset my password?')).toBe('answer 1 to: How do I reset my password?');

    const read = async () => ({
      exact: await ferrite.semantic.get(namespace, 'Where is my parcel?'),
      similar: await support.get('what are your opening hours'),
      unrelated: await support.get('Do you sell bicycles in Lisbon?'),
      cached: await ask('how do I reset my password'),
      entries: (await ferrite.semantic.stats(namespace)).entries,
    });
    // Read before and after the namespace's primary fails over: the same reading both times.
    expect(await readThroughFailover(namespace, read)).toEqual({
      exact: 'on its way',
      similar: '9 to 5',
      unrelated: null,
      cached: 'answer 1 to: How do I reset my password?',
      entries: 3,
    });
    // The model ran once: every later call, those through the new primary too, came from the cache.
    expect(modelCalls).toBe(1);

    // Writes land on the new primary.
    await ferrite.semantic.set(namespace, 'Where is my parcel?', 'delivered');
    expect(await ferrite.semantic.delete(namespace, 'What are your opening hours?')).toBe(1);
    expect(await ferrite.semantic.get(namespace, 'where is my parcel')).toBe('delivered');
    expect(await support.get('what are your opening hours')).toBeNull();
    expect((await ferrite.semantic.stats(namespace)).entries).toBe(2);
  } finally {
    await ferrite.close();
  }
});
