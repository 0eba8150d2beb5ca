import { createFerrite } from '@ferrite/core';
import { Emulator, memoryTransport } from '@ferrite/emulator';
import { describe, expect, it } from 'vitest';
import { jsonCodec } from './codec.js';
import { semantic } from './plugin.js';

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('getOrSetStream in a namespace shared with a JSON handle', () => {
  it('on a default handle replays the stored JSON text as it is, as one chunk', async () => {
    const ferrite = createFerrite({ transport: memoryTransport({ emulator: new Emulator() }), plugins: [semantic()] });
    const objects = ferrite.semantic.cache<{ a: number }>('shared', { threshold: 0, codec: jsonCodec() });
    const texts = ferrite.semantic.cache('shared', { threshold: 0 });
    await objects.getOrSet('first prompt', async () => ({ a: 1 }));
    const replayed = await collect(
      texts.getOrSetStream('first prompt', async function* () {
        yield 'must not run';
      }),
    );
    expect(replayed).toEqual(['{"a":1}']);
    await ferrite.close();
  });

  it('on a JSON handle of strings never replays a stored object as a chunk: it streams afresh and stores text', async () => {
    const ferrite = createFerrite({ transport: memoryTransport({ emulator: new Emulator() }), plugins: [semantic()] });
    const objects = ferrite.semantic.cache<{ a: number }>('shared', { threshold: 0, codec: jsonCodec() });
    const texts = ferrite.semantic.cache<string>('shared', { threshold: 0, codec: jsonCodec() });
    await objects.getOrSet('first prompt', async () => ({ a: 1 }));

    const produced = await collect(
      texts.getOrSetStream('first prompt', async function* () {
        yield 'fresh ';
        yield 'text';
      }),
    );
    expect(produced).toEqual(['fresh ', 'text']);
    expect(await ferrite.semantic.get('shared', 'first prompt')).toBe('"fresh text"');
    const replayed = await collect(
      texts.getOrSetStream('first prompt', async function* () {
        yield 'must not run';
      }),
    );
    expect(replayed).toEqual(['fresh text']);
    await ferrite.close();
  });
});
