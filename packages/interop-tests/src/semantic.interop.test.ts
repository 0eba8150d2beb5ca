/**
 * Semantic cache interop: the Python thin client (ported in `seed.ts`) and `@ferrite/semantic`
 * read each other's values as the same strings, on every transport in RESP2 and RESP3.
 *
 * Wire-format review (seed vs SDK):
 * - Values: the seed stores `SEMANTIC.SET ns text value [EX ttl]` with the value as given and
 *   reads the bulk reply as text. The SDK's raw `set`/`get` and, since issue 13, a default cache
 *   handle (`getOrSet`, `getOrSetStream`, `wrap`, `set`, `get`) do the same, byte for byte. Typed
 *   handles (`jsonCodec`) store plain JSON text, which the seed reads as that text (`json.loads`
 *   gives the value back); plain text the seed stored makes a `jsonCodec` handle's `get` throw
 *   `SemanticCodecError` naming the namespace. Values stored by earlier SDK handles carry a
 *   one-character tag (`sFerrite!`), which both clients now read as part of the text.
 * - Empty values: the seed's `semantic_get` returns `result if result else None`, so an empty
 *   string the SDK stored reads as a miss in Python (the server replies `""`, not null).
 * - Thresholds: the seed sends `THRESHOLD 0.85` (a Python float) and trusts the server; the SDK
 *   sends its threshold lowered by 6e-7 with `WITHSCORE` and checks the rounded similarity
 *   itself, so for similarities more than 1e-6 away from the threshold both decide alike.
 * - TTL: the seed's `ttl` and the SDK's `ttl` are both `EX <seconds>`.
 * - `semantic_delete(key)` sends `SEMANTIC.DEL ns` with no text, which removes the whole
 *   namespace (its docstring says "a semantic cache entry"); the SDK's `delete(ns)` is the same
 *   and `delete(ns, text)` removes one entry.
 */
import { createFerrite, type FerriteClient } from '@ferrite/core';
import { jsonCodec, semantic, SemanticCodecError } from '@ferrite/semantic';
import { describeEachTransport } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeedClient } from './seed.js';

type Client = FerriteClient<readonly [ReturnType<typeof semantic>]>;

let counter = 0;
const unique = (prefix: string) => `interop:${prefix}:${++counter}`;

/** The emulators' clock: TTL tests move it forward instead of sleeping. */
let now = Date.UTC(2026, 0, 1);

/** Values that a codec or a careless decoder would change. */
const TRICKY_VALUES = ['Ferrite!', 'sFerrite!', 'j{"a":1}', '{"a":1}', '42', 'null', 'Ünïcødé ✓ 🚀\r\nline two\0end', ' padded '];

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describeEachTransport(
  'semantic interop with the Python thin client',
  (harness) => {
    let ferrite: Client;
    let seed: SeedClient;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [semantic()] });
      seed = new SeedClient((name, ...args) => ferrite.send(name, ...args));
    });

    describe('seed writes, SDK reads', () => {
      it('a default cache handle and the raw API read what semantic_set stored, as it is', async () => {
        const ns = unique('seed-values');
        expect(await seed.semantic_set(ns, 'What is Ferrite?', 'Ferrite is a Redis-compatible ...', 3600)).toBe('OK');
        expect(seed.lastSent).toEqual(['SEMANTIC.SET', ns, 'What is Ferrite?', 'Ferrite is a Redis-compatible ...', 'EX', '3600']);
        const cache = ferrite.semantic.cache(ns);
        expect(await cache.get('What is Ferrite?')).toBe('Ferrite is a Redis-compatible ...');
        expect(await cache.get('what is ferrite')).toBe('Ferrite is a Redis-compatible ...');
        expect(await ferrite.semantic.get(ns, 'What is Ferrite?')).toBe('Ferrite is a Redis-compatible ...');
        expect(await cache.getOrSet('What is Ferrite?', () => 'must not run')).toBe('Ferrite is a Redis-compatible ...');
        expect(await collect(cache.getOrSetStream('What is Ferrite?', async function* () {
          yield 'must not run';
        }))).toEqual(['Ferrite is a Redis-compatible ...']);
        expect(await cache.wrap(async () => 'must not run')('What is Ferrite?')).toBe('Ferrite is a Redis-compatible ...');
        expect((await cache.stats()).process).toMatchObject({ hits: 5, misses: 0, errors: 0 });
      });

      it('every string the seed stores comes back byte for byte', async () => {
        const ns = unique('seed-tricky');
        const cache = ferrite.semantic.cache(ns, { threshold: 1 });
        for (const [i, value] of TRICKY_VALUES.entries()) {
          await seed.semantic_set(ns, `prompt number ${i}`, value);
          expect(await cache.get(`prompt number ${i}`), value).toBe(value);
        }
      });

      it('a jsonCodec handle reads the seed’s JSON text, and names the namespace when the text is not JSON', async () => {
        const ns = unique('seed-json');
        const answers = ferrite.semantic.cache<{ answer: string }>(ns, { codec: jsonCodec(), threshold: 1 });
        await seed.semantic_set(ns, 'json prompt', '{"answer": "Paris"}'); // json.dumps({"answer": "Paris"})
        expect(await answers.get('json prompt')).toEqual({ answer: 'Paris' });
        await seed.semantic_set(ns, 'plain prompt', 'Paris');
        const error = await answers.get('plain prompt').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SemanticCodecError);
        expect((error as SemanticCodecError).namespace).toBe(ns);
      });

      it('the seed’s EX is the SDK’s TTL', async () => {
        const ns = unique('seed-ttl');
        await seed.semantic_set(ns, 'short lived', 'soon gone', 10);
        now += 9_999;
        expect(await ferrite.semantic.cache(ns).get('short lived')).toBe('soon gone');
        now += 1;
        expect(await ferrite.semantic.cache(ns).get('short lived')).toBeNull();
      });

      it('semantic_delete(ns) empties the namespace for the SDK too', async () => {
        const ns = unique('seed-delete');
        await ferrite.semantic.cache(ns).set('one', '1');
        await ferrite.semantic.cache(ns).set('two', '2');
        expect(await seed.semantic_delete(ns)).toBe(2);
        expect(seed.lastSent).toEqual(['SEMANTIC.DEL', ns]);
        expect((await ferrite.semantic.stats(ns)).entries).toBe(0);
      });
    });

    describe('SDK writes, seed reads', () => {
      it('semantic_get reads what getOrSet, wrap, getOrSetStream, set and the raw API stored, as given', async () => {
        const ns = unique('sdk-values');
        const cache = ferrite.semantic.cache(ns);
        await cache.getOrSet('computed by getOrSet', () => 'Ferrite!');
        await cache.wrap(async (prompt: string) => `wrapped ${prompt}`)('computed by wrap');
        await collect(cache.getOrSetStream('computed by a stream', async function* () {
          yield 'streamed ';
          yield 'answer';
        }));
        await cache.set('stored by set', 'set value', { ttl: 60 });
        await ferrite.semantic.set(ns, 'stored raw', 'raw value');
        expect(await seed.semantic_get(ns, 'computed by getOrSet')).toBe('Ferrite!');
        expect(seed.lastSent).toEqual(['SEMANTIC.GET', ns, 'computed by getOrSet', 'THRESHOLD', '0.85']);
        expect(await seed.semantic_get(ns, 'computed by wrap')).toBe('wrapped computed by wrap');
        expect(await seed.semantic_get(ns, 'computed by a stream')).toBe('streamed answer');
        expect(await seed.semantic_get(ns, 'stored by set')).toBe('set value');
        expect(await seed.semantic_get(ns, 'stored raw')).toBe('raw value');
      });

      it('every string a cache handle stores reaches the seed byte for byte (an empty one reads as None there)', async () => {
        const ns = unique('sdk-tricky');
        const cache = ferrite.semantic.cache(ns);
        for (const [i, value] of TRICKY_VALUES.entries()) {
          await cache.set(`prompt number ${i}`, value);
          expect(await seed.semantic_get(ns, `prompt number ${i}`, 1), value).toBe(value);
        }
        await cache.set('empty answer', '');
        expect(await cache.get('empty answer', { threshold: 1 })).toBe('');
        expect(await seed.semantic_get(ns, 'empty answer', 1)).toBeNull();
      });

      it('a jsonCodec handle stores plain JSON text the seed can json.loads', async () => {
        const ns = unique('sdk-json');
        const answer = { answer: 'Paris', sources: ['wiki'], confidence: 0.9 };
        await ferrite.semantic.cache<typeof answer>(ns, { codec: jsonCodec() }).set('capital of france', answer);
        const text = await seed.semantic_get(ns, 'capital of france');
        expect(JSON.parse(text!)).toEqual(answer);
      });

      it('the SDK’s TTL is the seed’s EX', async () => {
        const ns = unique('sdk-ttl');
        await ferrite.semantic.cache(ns, { ttl: 10 }).set('short lived', 'soon gone');
        now += 9_999;
        expect(await seed.semantic_get(ns, 'short lived')).toBe('soon gone');
        now += 1;
        expect(await seed.semantic_get(ns, 'short lived')).toBeNull();
      });

      it('both clients agree on hits and misses at the same threshold', async () => {
        const ns = unique('sdk-threshold');
        await ferrite.semantic.cache(ns).set('how do i reset my router password', 'Hold the reset button.');
        const queries = ['how do i reset my router password please', 'reset router password', 'what is my router password', 'how do i bake bread'];
        const outcomes = new Set<boolean>();
        for (const threshold of [0, 0.5, 0.85, 1]) {
          for (const query of queries) {
            const found = await ferrite.semantic.match(ns, query, { threshold: 0 });
            // Skip the 1e-6 band where the SDK's check of the rounded similarity may differ by design.
            if (found !== null && Math.abs(found.similarity - threshold) <= 1e-6 && threshold !== 0) continue;
            const sdk = await ferrite.semantic.cache(ns, { threshold }).get(query);
            expect(await seed.semantic_get(ns, query, threshold), `${query} at ${threshold}`).toBe(sdk);
            outcomes.add(sdk === null);
          }
        }
        expect(outcomes).toEqual(new Set([true, false]));
      });
    });
  },
  { emulatorOptions: () => ({ clock: () => now }) },
);
