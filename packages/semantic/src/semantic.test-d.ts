import { createFerrite, type Transport } from '@ferrite/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { SemanticMatch } from './commands/index.js';
import { jsonCodec, legacyTaggedCodec, semantic, type SemanticCache } from './index.js';

declare const transport: Transport;

describe('types', () => {
  it('adds ferrite.semantic with typed handles', () => {
    const ferrite = createFerrite({ transport, plugins: [semantic({ threshold: 0.9 })] });
    expectTypeOf(ferrite.semantic.get('ns', 'text')).resolves.toEqualTypeOf<string | null>();
    expectTypeOf(ferrite.semantic.match('ns', 'text')).resolves.toEqualTypeOf<SemanticMatch | null>();
    const answers = ferrite.semantic.cache<{ text: string }>('answers', { codec: jsonCodec() });
    expectTypeOf(answers.getOrSet('q', async () => ({ text: 'a' }))).resolves.toEqualTypeOf<{ text: string }>();
    const cached = answers.wrap(async (prompt: string, temperature: number) => ({ text: `${prompt}${temperature}` }));
    expectTypeOf(cached).toEqualTypeOf<(prompt: string, temperature: number) => Promise<{ text: string }>>();
    expectTypeOf(ferrite.semantic.cache('text').getOrSetStream('q', async function* () {})).toEqualTypeOf<AsyncIterable<string>>();
    // Streams only make sense for string values.
    // @ts-expect-error a handle of objects cannot stream
    answers.getOrSetStream('q', async function* () {});
  });

  it('gives string handles by default and asks for a codec for any other type', () => {
    const ferrite = createFerrite({ transport, plugins: [semantic()] });
    expectTypeOf(ferrite.semantic.cache('llm')).toEqualTypeOf<SemanticCache<string>>();
    expectTypeOf(ferrite.semantic.cache<string>('llm', { threshold: 0.9 })).toEqualTypeOf<SemanticCache<string>>();
    expectTypeOf(ferrite.semantic.cache('llm', { codec: jsonCodec<number[]>() })).toEqualTypeOf<SemanticCache<number[]>>();
    expectTypeOf(ferrite.semantic.cache('old', { codec: legacyTaggedCodec })).toEqualTypeOf<SemanticCache<unknown>>();
    // @ts-expect-error a typed handle needs a codec
    ferrite.semantic.cache<{ text: string }>('answers');
    // @ts-expect-error the default handle stores strings only
    void ferrite.semantic.cache('llm').set('q', { text: 'a' });
  });
});

describe('public exports', () => {
  it('publish command definitions under the plugin prefix', async () => {
    const api = await import('./index.js');
    expectTypeOf(api).toHaveProperty('semanticGetCommand');
    expectTypeOf(api).toHaveProperty('semanticDeleteCommand');
    expectTypeOf(api).not.toHaveProperty('getCommand');
    expectTypeOf(api).not.toHaveProperty('deleteCommand');
  });
});
