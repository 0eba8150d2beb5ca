import { readmeExampleIn } from '@ferrite/testkit';
import { readFileSync } from 'node:fs';
import { slotOf } from '@ferrite/core';
import { Cluster } from 'ioredis';
import { expect, it } from 'vitest';
import { startEmulatorCluster } from './start.js';


it('the README cluster example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };

  // README example: begin
  const cluster = await startEmulatorCluster({ primaries: 3, replicas: 1 });
  const redis = new Cluster([cluster.url]);
  await redis.set('{user:1}:name', 'Ada'); // routed by slot: the hash tag decides it
  await redis.call('CRDT.COUNTER.INCR', '{user:1}:visits', '1'); // extensions route by their first argument

  const owner = cluster.nodes.find((node) => node.emulator.database(0).has('{user:1}:name'));
  const target = cluster.nodes.find((node) => node.role === 'primary' && node !== owner);
  await cluster.moveSlot(slotOf('{user:1}'), target?.id ?? ''); // keys, indexes, caches and CRDTs move along
  console.log(await redis.get('{user:1}:name')); // Ada (ioredis followed the old owner's MOVED)
  console.log(owner?.redirects.moved); // 1
  console.log(await redis.call('CRDT.COUNTER.GET', '{user:1}:visits')); // 1
  redis.disconnect();
  await cluster.close();
  // README example: end

  expect(printed).toEqual(['Ada', 1, 1]);
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
