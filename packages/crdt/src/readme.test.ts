import { readmeExampleIn } from '@ferrite/testkit';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { crdt, CrdtIndeterminateError } from './index.js';


it('the README example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };

  // README example: begin
  const ferrite = createFerrite({
    transport: memoryTransport(), // or ioredisTransport(new Redis(...)), nodeRedisTransport(...)
    plugins: [crdt()],
  });

  const views = ferrite.crdt.counter('page:home:views');
  console.log(await views.incr()); // 1
  console.log(await views.incr(10)); // 11
  console.log(await views.decr(2)); // 9

  // Exactly once, across retries and restarts: give each increment an id of your own.
  async function onPageViewMessage(message: { id: string }): Promise<'done' | 'retry later'> {
    try {
      await views.incr(1, { opId: message.id });
      return 'done';
    } catch (error) {
      // No reply within the deadline: maybe counted. A redelivery with the same id counts at most once.
      if (error instanceof CrdtIndeterminateError) return 'retry later';
      throw error;
    }
  }
  await onPageViewMessage({ id: 'msg-8841' });
  await onPageViewMessage({ id: 'msg-8841' }); // redelivered: not counted again
  console.log(await views.get()); // 10

  // The whole signed 64-bit range, exactly.
  const bytes = ferrite.crdt.counter('bytes:served', { bigint: true });
  console.log(await bytes.incr(9_007_199_254_740_993n)); // 9007199254740993n

  const tags = ferrite.crdt.set<'new' | 'sale' | 'popular'>('product:42:tags');
  await tags.add('new', 'sale');
  await tags.remove('new');
  console.log(await tags.members()); // [ 'sale' ]
  console.log(await tags.has('sale')); // true
  await ferrite.close();
  // README example: end

  expect(printed).toEqual([1, 11, 9, 10, 9_007_199_254_740_993n, ['sale'], true]);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
