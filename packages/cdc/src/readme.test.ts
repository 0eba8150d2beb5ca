import { readmeExampleIn } from '@ferrite/testkit';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cdc } from './index.js';


it('the README example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };

  // README example: begin
  const ferrite = createFerrite({
    transport: memoryTransport(), // or ioredisTransport(new Redis(...)), nodeRedisTransport(...)
    plugins: [cdc()],
  });

  // Every SET and DEL of a user key from now on, in order, each once.
  const feed = await ferrite.cdc.subscribe('user:*', { events: ['SET', 'DEL'] });
  await ferrite.send('SET', 'user:1', 'Ada');
  await ferrite.send('DEL', 'user:1');
  for await (const event of feed) {
    console.log(`${event.op} ${event.key} ${event.value}`); // SET user:1 Ada, then DEL user:1 null
    if (event.op === 'DEL') break; // break, close(), a signal or `await using` ends the feed
  }

  // Save a checkpoint (text); resume right after it later, in this process or another.
  const checkpoint = feed.checkpoint;
  await ferrite.send('SET', 'user:2', 'Grace');
  await using resumed = await ferrite.cdc.subscribe('user:*', { from: checkpoint });
  const next = await resumed.next();
  console.log(next.done ? 'ended' : next.value.key); // user:2

  // Or let a handler take them one at a time: the checkpoint moves once the handler resolves.
  const seen: string[] = [];
  const subscription = await ferrite.cdc.onChange('user:*', async (event) => {
    seen.push(event.key);
  });
  await ferrite.send('SET', 'user:3', 'Linus');
  while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await subscription.close();
  console.log(seen); // ['user:3']
  await ferrite.close();
  // README example: end

  expect(printed).toEqual(['SET user:1 Ada', 'DEL user:1 null', 'user:2', ['user:3']]);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
