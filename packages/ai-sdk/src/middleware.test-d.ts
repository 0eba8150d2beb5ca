import type { LanguageModelV4Middleware } from '@ai-sdk/provider';
import { createFerrite, type Transport } from '@ferrite/core';
import { semantic } from '@ferrite/semantic';
import { wrapLanguageModel, type LanguageModelMiddleware } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { expectTypeOf, test } from 'vitest';
import { semanticCacheMiddleware, type SemanticCacheMiddlewareOptions } from './index.js';

declare const transport: Transport;

test('is an AI SDK language-model middleware for a client with the semantic plugin', () => {
  const ferrite = createFerrite({ transport, plugins: [semantic()] });
  const middleware = semanticCacheMiddleware(ferrite, { namespace: 'chat', threshold: 0.9, ttl: 3600 });
  expectTypeOf(middleware).toEqualTypeOf<LanguageModelV4Middleware>();
  expectTypeOf(middleware).toExtend<LanguageModelMiddleware>();
  wrapLanguageModel({ model: new MockLanguageModelV4(), middleware });
  wrapLanguageModel({ model: new MockLanguageModelV4(), middleware: [middleware] });
});

test('needs the semantic plugin', () => {
  // @ts-expect-error a client without `semantic()` cannot back the cache
  semanticCacheMiddleware(createFerrite({ transport }));
});

test('hooks receive the call options', () => {
  expectTypeOf<NonNullable<SemanticCacheMiddlewareOptions['getText']>>().parameter(0).toHaveProperty('prompt');
  expectTypeOf<NonNullable<SemanticCacheMiddlewareOptions['shouldCache']>>().returns.toEqualTypeOf<boolean>();
});

test('the failure policy and history options are typed', () => {
  expectTypeOf<SemanticCacheMiddlewareOptions['history']>().toEqualTypeOf<'skip' | 'ignore' | 'compare' | undefined>();
  expectTypeOf<SemanticCacheMiddlewareOptions['ttl']>().toEqualTypeOf<number | null | undefined>();
  expectTypeOf<SemanticCacheMiddlewareOptions['failOpen']>().toEqualTypeOf<boolean | undefined>();
  expectTypeOf<SemanticCacheMiddlewareOptions['lookupTimeout']>().toEqualTypeOf<number | undefined>();
});
