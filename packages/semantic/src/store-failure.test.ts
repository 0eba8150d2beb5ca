import { createFerrite, FerriteConnectionError, type FerriteError, type Transport, type WireCommand } from '@ferrite/core';
import { Emulator, memoryTransport } from '@ferrite/emulator';
import { afterAll, expect, it } from 'vitest';
import { semantic } from './plugin.js';

/**
 * The connection failing between the lookup and the store is hard to time for real, so this
 * transport fails SEMANTIC.SET the way a transport reports a lost connection.
 */
function failingStores(inner: Transport): Transport {
  return {
    name: 'failing-stores',
    protocol: inner.protocol,
    send: (command: WireCommand) =>
      command.name === 'SEMANTIC.SET' ? Promise.reject(new FerriteConnectionError('connection lost')) : inner.send(command),
    batch: (commands) => inner.batch(commands),
    dedicated: (options) => inner.dedicated(options),
    close: () => inner.close(),
  };
}

const emulator = new Emulator();
const ferrite = createFerrite({ transport: failingStores(memoryTransport({ emulator })), plugins: [semantic()] });
afterAll(() => ferrite.close());

it('still returns the computed value when storing it fails, and reports the failure', async () => {
  const reported: FerriteError[] = [];
  const cache = ferrite.semantic.cache('store-failure', { onError: (error) => void reported.push(error) });
  expect(await cache.getOrSet('prompt', () => 'expensive answer')).toBe('expensive answer');
  expect(reported).toHaveLength(1);
  expect(reported[0]).toBeInstanceOf(FerriteConnectionError);
  const stats = await cache.stats();
  expect(stats.process).toMatchObject({ hits: 0, misses: 1, errors: 1 });
  expect(stats.server.entries).toBe(0);
  // A direct set is the caller's own request: its failure is the caller's to see.
  await expect(cache.set('prompt', 'x')).rejects.toBeInstanceOf(FerriteConnectionError);
});

it('stores nothing for a stream whose store fails, but the stream still completes', async () => {
  const reported: FerriteError[] = [];
  const cache = ferrite.semantic.cache('store-failure-stream', { onError: (error) => void reported.push(error) });
  const chunks: string[] = [];
  for await (const chunk of cache.getOrSetStream('prompt', async function* () {
    yield 'a';
    yield 'b';
  })) chunks.push(chunk);
  expect(chunks).toEqual(['a', 'b']);
  expect(reported).toHaveLength(1);
});
