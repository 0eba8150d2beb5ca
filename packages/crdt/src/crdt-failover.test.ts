import { createFerrite } from '@ferrite/core';
import { describeEachClusterFailover, readsExactIntegers } from '@ferrite/test-transports';
import { expect } from 'vitest';
import { crdt } from './plugin.js';

/**
 * The plugin's core operations, then a failover of the primary that owns their hash tag, then the
 * same operations: the promoted replica holds the same counters (op-ids included: a resent op-id
 * is not counted again) and sets, writes land, and once the transport has followed the one
 * redirect, no more `MOVED`.
 */
describeEachClusterFailover('crdt', async ({ target, transport, tag, readThroughFailover }) => {
  // Past 2^53 where the driver reads integers exactly; GLIDE refuses those replies (FerriteInexactReplyError).
  const big = readsExactIntegers(target) ? 9_007_199_254_740_993n : 4_503_599_627_370_497n;
  const ferrite = createFerrite({ transport, plugins: [crdt()], timeout: 5000 });
  try {
    const views = ferrite.crdt.counter(`${tag}:views`);
    const bytes = ferrite.crdt.counter(`${tag}:bytes`, { bigint: true });
    const tags = ferrite.crdt.set<'new' | 'sale' | 'popular'>(`${tag}:tags`);
    for (let i = 1; i <= 10; i++) expect(await views.incr(1, { opId: `view-${i}` })).toBe(i);
    expect(await views.decr(3)).toBe(7);
    expect(await bytes.incr(big)).toBe(big);
    expect(await tags.add('new', 'sale', 'popular')).toBe(3);
    expect(await tags.remove('new')).toBe(1);

    const read = async () => ({
      views: await views.get(),
      bytes: await bytes.get(),
      tags: (await tags.members()).sort(),
      hasNew: await tags.has('new'),
    });
    // Read before and after the tag's primary fails over: the same reading both times.
    expect(await readThroughFailover(tag, read)).toEqual({ views: 7, bytes: big, tags: ['popular', 'sale'], hasNew: false });

    // The op-ids came along: a redelivered increment is not counted again, a new one is.
    expect(await views.incr(1, { opId: 'view-4' })).toBe(7);
    expect(await views.incr(1, { opId: 'view-11' })).toBe(8);
    expect(await bytes.decr(1n)).toBe(big - 1n);
    expect(await tags.add('new')).toBe(1);
    expect((await tags.members()).sort()).toEqual(['new', 'popular', 'sale']);
  } finally {
    await ferrite.close();
  }
});
