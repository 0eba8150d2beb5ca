import { readmeExampleIn } from '@ferrite/testkit';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { semantic } from './index.js';


it('the README example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };

  // README example: begin
  const ferrite = createFerrite({
    transport: memoryTransport(), // or ioredisTransport(new Redis(...)), nodeRedisTransport(...)
    plugins: [semantic({ threshold: 0.85, ttl: 3600 })],
  });

  // A stand-in for an expensive model call.
  let modelCalls = 0;
  async function askModel(prompt: string): Promise<string> {
    modelCalls++;
    return `Answer #${modelCalls} to: ${prompt}`;
  }

  const support = ferrite.semantic.cache('support-bot');
  const ask = support.wrap(askModel);

  console.log(await ask('How do I reset my password?')); // Answer #1 to: How do I reset my password?
  console.log(await ask('how do I reset my password')); // Answer #1 to: How do I reset my password? (cached)
  console.log(modelCalls); // 1

  // Streams pass through as they arrive and are stored once complete.
  async function* streamModel(prompt: string) {
    for (const word of `Here is how to ${prompt}`.split(' ')) yield `${word} `;
  }
  let streamed = '';
  for await (const chunk of support.getOrSetStream('export my data', () => streamModel('export your data'))) {
    streamed += chunk;
  }
  console.log(await support.get('Export my data!')); // Here is how to export your data

  const stats = await support.stats();
  console.log([stats.server.entries, stats.process.hits, stats.process.computationsSaved]); // [2, 2, 1]
  await ferrite.close();
  // README example: end

  expect(printed).toEqual([
    'Answer #1 to: How do I reset my password?',
    'Answer #1 to: How do I reset my password?',
    1,
    'Here is how to export your data ',
    [2, 2, 1],
  ]);
  expect(streamed).toBe('Here is how to export your data ');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
