import { createFerrite, FerriteAbortError, FerriteTimeoutError, FerriteValidationError, isMaybeApplied, isTimeoutError, type FerriteClient } from '@ferrite/core';
import { clusterNodeFor, describeEachTransport } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonCodec, legacyTaggedCodec, SemanticCodecError } from './codec.js';
import { semantic } from './plugin.js';

type Client = FerriteClient<readonly [ReturnType<typeof semantic>]>;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

/** The emulators' clock: TTL tests move it forward instead of sleeping. */
let now = Date.UTC(2026, 0, 1);

/** Resolves when `check` holds; a bounded wait instead of a sleep. */
async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** What `promise` rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describeEachTransport(
  'semantic',
  (harness) => {
    let ferrite: Client;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [semantic()] });
    });

    describe('set, get, match', () => {
      it('finds the exact text with similarity 1 and a reworded one above the default threshold', async () => {
        const ns = unique('basic');
        await ferrite.semantic.set(ns, 'What is the capital of France?', 'Paris');
        expect(await ferrite.semantic.match(ns, 'What is the capital of France?')).toEqual({ value: 'Paris', similarity: 1 });
        expect(await ferrite.semantic.get(ns, 'what is the capital of france')).toBe('Paris');
        expect(await ferrite.semantic.get(ns, 'How do I bake sourdough bread?')).toBeNull();
        expect(await ferrite.semantic.match(ns, 'How do I bake sourdough bread?')).toBeNull();
      });

      it('keeps values byte for byte (UTF-8, newlines, JSON-looking text)', async () => {
        const ns = unique('bytes');
        const value = 'Ünïcødé ✓ 🚀\r\nline two\0{"not":"json"}';
        await ferrite.semantic.set(ns, 'multi\nline prompt', value);
        expect(await ferrite.semantic.get(ns, 'multi\nline prompt')).toBe(value);
      });

      it('hits when the similarity is exactly the threshold, and misses just above it', async () => {
        const ns = unique('boundary');
        await ferrite.semantic.set(ns, 'how do i reset my router password', 'Hold the reset button for 10 seconds.');
        const queries = [
          'how do i reset my router password please',
          'reset router password',
          'how can I reset the password of my router',
          'router password reset steps',
          'my router password: how do i reset it',
          'resetting a router',
          'what is my router password',
          'how do i reset my modem',
        ];
        for (const query of queries) {
          const found = await ferrite.semantic.match(ns, query, { threshold: 0 });
          expect(found, query).not.toBeNull();
          const similarity = found!.similarity;
          expect(await ferrite.semantic.get(ns, query, { threshold: similarity }), `${query} at ${similarity}`).toBe(
            'Hold the reset button for 10 seconds.',
          );
          expect(await ferrite.semantic.match(ns, query, { threshold: similarity })).toEqual(found);
          if (similarity < 1) {
            expect(await ferrite.semantic.get(ns, query, { threshold: similarity + 1e-6 }), `${query} above ${similarity}`).toBeNull();
          }
        }
      });

      it('hits any live entry with threshold 0, and only the same text with threshold 1', async () => {
        const ns = unique('extremes');
        await ferrite.semantic.set(ns, 'the quick brown fox', 'animal');
        expect(await ferrite.semantic.get(ns, 'quarterly tax filing deadline', { threshold: 0 })).toBe('animal');
        expect(await ferrite.semantic.get(ns, 'The quick brown fox', { threshold: 1 })).toBe('animal');
        expect(await ferrite.semantic.get(ns, 'the quick brown foxes', { threshold: 1 })).toBeNull();
      });

      it('returns the most similar entry', async () => {
        const ns = unique('best');
        await ferrite.semantic.set(ns, 'how to cook rice', 'rice');
        await ferrite.semantic.set(ns, 'how to cook pasta', 'pasta');
        expect(await ferrite.semantic.get(ns, 'how to cook pasta al dente', { threshold: 0 })).toBe('pasta');
        expect(await ferrite.semantic.get(ns, 'how to cook rice fluffy', { threshold: 0 })).toBe('rice');
      });

      it('replaces the entry for the same exact text', async () => {
        const ns = unique('replace');
        await ferrite.semantic.set(ns, 'question', 'first');
        await ferrite.semantic.set(ns, 'question', 'second');
        expect(await ferrite.semantic.get(ns, 'question')).toBe('second');
        expect((await ferrite.semantic.stats(ns)).entries).toBe(1);
      });

      it('keeps namespaces apart', async () => {
        const a = unique('tenant-a');
        const b = unique('tenant-b');
        await ferrite.semantic.set(a, 'what is our refund policy', '30 days');
        expect(await ferrite.semantic.get(b, 'what is our refund policy', { threshold: 0 })).toBeNull();
        await ferrite.semantic.set(b, 'what is our refund policy', 'no refunds');
        expect(await ferrite.semantic.get(a, 'what is our refund policy')).toBe('30 days');
        expect(await ferrite.semantic.get(b, 'what is our refund policy')).toBe('no refunds');
        expect(await ferrite.semantic.delete(a)).toBe(1);
        expect(await ferrite.semantic.get(b, 'what is our refund policy')).toBe('no refunds');
      });
    });

    describe('defaults', () => {
      // 'reset router password' scores about 0.6 against the stored text with the emulator's embedder.
      const stored = 'how do i reset my router password';
      const query = 'reset router password';

      it('uses 0.85 unless told otherwise, and a per-call threshold always wins, 0 included', async () => {
        const ns = unique('default-threshold');
        await ferrite.semantic.set(ns, stored, 'answer');
        const { similarity } = (await ferrite.semantic.match(ns, query, { threshold: 0 }))!;
        expect(similarity).toBeGreaterThan(0.1);
        expect(similarity).toBeLessThan(0.85);
        expect(await ferrite.semantic.get(ns, query)).toBeNull();

        const lenient = createFerrite({ transport: harness.transport, plugins: [semantic({ threshold: similarity })] });
        expect(await lenient.semantic.get(ns, query)).toBe('answer');
        expect(await lenient.semantic.get(ns, query, { threshold: 0.99 })).toBeNull();

        const strict = createFerrite({ transport: harness.transport, plugins: [semantic({ threshold: 1 })] });
        expect(await strict.semantic.get(ns, query)).toBeNull();
        expect(await strict.semantic.get(ns, query, { threshold: 0 })).toBe('answer');

        const handleNs = unique('default-threshold-handle');
        await strict.semantic.cache(handleNs).set(stored, 'answer');
        expect(await strict.semantic.cache(handleNs).get(query)).toBeNull();
        expect(await strict.semantic.cache(handleNs, { threshold: 0 }).get(query)).toBe('answer');
        expect(await strict.semantic.cache(handleNs).get(query, { threshold: 0 })).toBe('answer');
        expect(await strict.semantic.cache(handleNs, { threshold: 0.9 }).get(query, { threshold: 0 })).toBe('answer');
      });
    });

    describe('expiry', () => {
      it('expires entries after their TTL on the server clock', async () => {
        const ns = unique('ttl');
        await ferrite.semantic.set(ns, 'short lived', 'soon gone', { ttl: 10 });
        await ferrite.semantic.set(ns, 'long lived', 'stays');
        now += 9_999;
        expect(await ferrite.semantic.get(ns, 'short lived')).toBe('soon gone');
        now += 1;
        expect(await ferrite.semantic.get(ns, 'short lived')).toBeNull();
        expect(await ferrite.semantic.get(ns, 'short lived', { threshold: 0 })).toBe('stays');
        expect((await ferrite.semantic.stats(ns)).entries).toBe(1);
      });

      it('applies the plugin TTL unless a call gives its own or null', async () => {
        const ns = unique('default-ttl');
        const client = createFerrite({ transport: harness.transport, plugins: [semantic({ ttl: 60 })] });
        await client.semantic.set(ns, 'default ttl', 'a');
        await client.semantic.set(ns, 'own ttl', 'b', { ttl: 120 });
        await client.semantic.set(ns, 'no ttl', 'c', { ttl: null });
        const handle = client.semantic.cache(ns);
        await handle.getOrSet('computed with default', () => 'd');
        // The computed value is stored in the background: let it land before the clock moves.
        await client.semantic.flush();
        now += 60_000;
        expect(await client.semantic.get(ns, 'default ttl', { threshold: 1 })).toBeNull();
        expect(await client.semantic.get(ns, 'computed with default', { threshold: 1 })).toBeNull();
        expect(await client.semantic.get(ns, 'own ttl', { threshold: 1 })).toBe('b');
        now += 60_000;
        expect(await client.semantic.get(ns, 'own ttl', { threshold: 1 })).toBeNull();
        expect(await client.semantic.get(ns, 'no ttl', { threshold: 1 })).toBe('c');
      });

      it('replacing an entry replaces its expiry', async () => {
        const ns = unique('ttl-replace');
        await ferrite.semantic.set(ns, 'prompt', 'old', { ttl: 5 });
        await ferrite.semantic.set(ns, 'prompt', 'new');
        now += 10_000;
        expect(await ferrite.semantic.get(ns, 'prompt')).toBe('new');
      });
    });

    describe('delete and stats', () => {
      it('deletes one text or the whole namespace, and counts hits and misses', async () => {
        const ns = unique('stats');
        await ferrite.semantic.set(ns, 'one', '1');
        await ferrite.semantic.set(ns, 'two', '2');
        await ferrite.semantic.get(ns, 'one');
        await ferrite.semantic.get(ns, 'completely unrelated words here');
        expect(await ferrite.semantic.stats(ns)).toEqual({ entries: 2, hits: 1, misses: 1 });
        expect(await ferrite.semantic.delete(ns, 'one')).toBe(1);
        expect(await ferrite.semantic.delete(ns, 'one')).toBe(0);
        expect((await ferrite.semantic.stats(ns)).entries).toBe(1);
        expect(await ferrite.semantic.delete(ns)).toBe(1);
        expect(await ferrite.semantic.stats(ns)).toEqual({ entries: 0, hits: 0, misses: 0 });
        expect(await ferrite.semantic.delete(unique('never-used'))).toBe(0);
      });
    });

    it.runIf(harness.target.cluster)('keeps namespaces named with one hash tag on the node that owns the tag (cluster)', async () => {
      const tag = `{${unique('tenant')}}`;
      await ferrite.semantic.set(`${tag}:answers`, 'what is ferrite', 'a database');
      await ferrite.semantic.set(`${tag}:summaries`, 'what is ferrite', 'short');
      const owner = await clusterNodeFor(harness.cluster as NonNullable<typeof harness.cluster>, tag);
      // Sent unrouted to that one node: it answers for both namespaces (any other node would reply MOVED).
      for (const ns of [`${tag}:answers`, `${tag}:summaries`]) {
        const stats = await harness.transport.send({ name: 'SEMANTIC.STATS', args: [ns], routingKey: null }, { node: owner.id });
        const flat = (stats instanceof Map ? [...stats].flat() : stats) as unknown[];
        expect(String(flat[flat.indexOf('entries') + 1])).toBe('1');
      }
      expect(await ferrite.semantic.get(`${tag}:summaries`, 'what is ferrite')).toBe('short');
    });

    it.runIf(harness.target.cluster)('answers correctly while the slot of its namespace moves (cluster)', async () => {
      const tag = `{${unique('moving')}}`;
      const ns = `${tag}:answers`;
      for (let i = 0; i < 8; i++) await ferrite.semantic.set(`${tag}:other-${i}`, 'filler', 'x');
      await harness.withSlotMoving(tag, async () => {
        for (let i = 0; i < 30; i++) {
          await ferrite.semantic.set(ns, `question number ${i}`, `answer ${i}`);
          expect(await ferrite.semantic.get(ns, `question number ${i}`)).toBe(`answer ${i}`);
        }
      }, async () => {
        expect((await ferrite.semantic.stats(ns)).entries).toBe(30);
      });
    });

    describe('bad input', () => {
      it('is rejected before anything is sent', async () => {
        const sent = () => harness.commandsProcessed();
        const before = sent();
        const api = ferrite.semantic;
        const cases: Array<[string, () => Promise<unknown>]> = [
          ['threshold', () => api.get('ns', 'text', { threshold: 1.5 })],
          ['threshold', () => api.get('ns', 'text', { threshold: -0.1 })],
          ['threshold', () => api.match('ns', 'text', { threshold: Number.NaN })],
          ['threshold', () => api.get('ns', 'text', { threshold: '0.9' as unknown as number })],
          ['ttl', () => api.set('ns', 'text', 'v', { ttl: 0 })],
          ['ttl', () => api.set('ns', 'text', 'v', { ttl: -5 })],
          ['ttl', () => api.set('ns', 'text', 'v', { ttl: 1.5 })],
          ['ttl', () => api.set('ns', 'text', 'v', { ttl: Number.POSITIVE_INFINITY })],
          ['namespace', () => api.set('', 'text', 'v')],
          ['namespace', () => api.get('a\r\nFLUSHALL', 'text')],
          ['namespace', () => api.get('a\0b', 'text')],
          ['namespace', () => api.stats('line\n')],
          ['text', () => api.set('ns', '', 'v')],
          ['text', () => api.get('ns', '  \n\t')],
          ['text', () => api.delete('ns', '')],
          ['value', () => api.set('ns', 'text', 42 as unknown as string)],
          ['text', () => api.cache('ns').getOrSet('', () => 'x')],
        ];
        for (const [field, run] of cases) {
          const error = await run().catch((e: unknown) => e);
          expect(error, field).toBeInstanceOf(FerriteValidationError);
          expect((error as FerriteValidationError).field).toBe(field);
        }
        expect(() => api.cache('ns', { threshold: 2 })).toThrow(FerriteValidationError);
        expect(() => api.cache('ns', { ttl: 0 })).toThrow(FerriteValidationError);
        expect(() => api.cache('')).toThrow(FerriteValidationError);
        expect(() => api.cache('ns').getOrSetStream('', async function* () {})).toThrow(FerriteValidationError);
        expect(() => semantic({ threshold: Number.NaN })).toThrow(FerriteValidationError);
        expect(() => semantic({ ttl: 2.5 })).toThrow(FerriteValidationError);
        expect(sent()).toBe(before);
      });
    });

    describe('getOrSet', () => {
      it('runs compute once for 100 concurrent calls, then serves the cache', async () => {
        const cache = ferrite.semantic.cache(unique('flight'));
        let computations = 0;
        const release = deferred();
        const compute = async () => {
          computations++;
          await release.promise;
          return 'the answer';
        };
        const calls = Array.from({ length: 100 }, () => cache.getOrSet('What is the meaning of life?', compute));
        await until('the computation to start', () => computations > 0);
        release.resolve();
        expect(await Promise.all(calls)).toEqual(Array(100).fill('the answer'));
        expect(computations).toBe(1);
        expect(await cache.getOrSet('what is the meaning of life', compute)).toBe('the answer');
        expect(computations).toBe(1);
        const stats = await cache.stats();
        expect(stats.server).toEqual({ entries: 1, hits: 1, misses: 1 });
        expect(stats.process).toMatchObject({ hits: 1, misses: 1, errors: 0, computationsSaved: 100 });
        expect(stats.process.meanLookupMs).toBeGreaterThan(0);
      });

      it('stores nothing when compute rejects; every waiter gets the error and the next call computes again', async () => {
        const cache = ferrite.semantic.cache(unique('reject'));
        const failure = new Error('model overloaded');
        const gate = deferred();
        let computations = 0;
        const calls = Array.from({ length: 5 }, () =>
          cache.getOrSet('prompt', async () => {
            computations++;
            await gate.promise;
            throw failure;
          }),
        );
        await until('the computation to start', () => computations > 0);
        gate.resolve();
        const results = await Promise.allSettled(calls);
        expect(results.every((r) => r.status === 'rejected' && r.reason === failure)).toBe(true);
        expect(computations).toBe(1);
        expect((await cache.stats()).server.entries).toBe(0);
        expect(await cache.getOrSet('prompt', () => 'recovered')).toBe('recovered');
        expect(await cache.get('prompt')).toBe('recovered');
      });

      it('stores nothing when every caller aborts; the computation sees the abort and the next call computes again', async () => {
        const cache = ferrite.semantic.cache(unique('abort'));
        const first = new AbortController();
        const second = new AbortController();
        let computeSignal: AbortSignal | undefined;
        const finish = deferred<string>();
        const compute = async (signal: AbortSignal) => {
          computeSignal = signal;
          return finish.promise; // ignores the abort, as a careless compute would
        };
        const a = cache.getOrSet('long prompt', compute, { signal: first.signal });
        const b = cache.getOrSet('long prompt', compute, { signal: second.signal });
        await until('the computation to start', () => computeSignal !== undefined);
        first.abort();
        await expect(a).rejects.toBeInstanceOf(FerriteAbortError);
        expect(computeSignal!.aborted).toBe(false);
        second.abort();
        await expect(b).rejects.toBeInstanceOf(FerriteAbortError);
        expect(computeSignal!.aborted).toBe(true);
        finish.resolve('half-written answer');
        // A new call does not join the abandoned computation, and the late result was not stored.
        expect(await cache.getOrSet('long prompt', () => 'fresh answer')).toBe('fresh answer');
        expect(await cache.get('long prompt', { threshold: 1 })).toBe('fresh answer');
      });

      it('lets the remaining callers have the answer when one of them gives up', async () => {
        const cache = ferrite.semantic.cache(unique('abort-one'));
        const impatient = new AbortController();
        const finish = deferred<string>();
        let computations = 0;
        const compute = () => (computations++, finish.promise);
        const a = cache.getOrSet('prompt', compute, { signal: impatient.signal });
        const b = cache.getOrSet('prompt', compute);
        await until('the computation to start', () => computations > 0);
        impatient.abort();
        await expect(a).rejects.toBeInstanceOf(FerriteAbortError);
        finish.resolve('answer');
        expect(await b).toBe('answer');
        expect(await cache.get('prompt')).toBe('answer');
      });

      it("through a view: the client's own calls inside compute are not the view's, and its signal only detaches that caller", async () => {
        const ns = unique('view-leak');
        const viewAbort = new AbortController();
        const view = ferrite.withOptions({ signal: viewAbort.signal });
        const finish = deferred<string>();
        let computations = 0;
        let pingInsideCompute: Promise<unknown> | undefined;
        const compute = () => {
          computations++;
          // A call on the base client from inside compute carries the base client's options.
          pingInsideCompute = Promise.all([ferrite.send('PING'), ferrite.withOptions({ timeout: 5000 }).semantic.get(ns, 'unrelated')]).then(() =>
            ferrite.semantic.stats(ns),
          );
          return finish.promise;
        };
        const first = view.semantic.cache(ns).getOrSet('prompt', compute);
        // A second caller, with no signal, joins the same single flight.
        const second = ferrite.semantic.cache(ns).getOrSet('prompt', compute);
        await until('the computation to start', () => computations > 0);
        viewAbort.abort();
        await expect(first).rejects.toBeInstanceOf(FerriteAbortError);
        await expect(pingInsideCompute).resolves.toMatchObject({ entries: 0 });
        finish.resolve('answer');
        // The flight, its lookup and its store ran with the client's options: the view's abort reached none of them.
        expect(await second).toBe('answer');
        expect(computations).toBe(1);
        expect(await ferrite.semantic.get(ns, 'prompt', { threshold: 1 })).toBe('answer');
      });

      it("through a view: its timeout detaches only that caller, with core's timeout error; the flight and a caller without a deadline go on", async () => {
        const ns = unique('view-timeout');
        const finish = deferred<string>();
        let computations = 0;
        let computeSignal: AbortSignal | undefined;
        const compute = (signal: AbortSignal) => {
          computations++;
          computeSignal = signal;
          return finish.promise;
        };
        // The view's caller starts the flight; a caller on the client, without a deadline, joins it.
        const first = ferrite.withOptions({ timeout: 50 }).semantic.cache(ns).getOrSet('prompt', compute);
        const second = ferrite.semantic.cache(ns).getOrSet('prompt', compute);
        const error = await rejectionOf(first);
        expect(error).toBeInstanceOf(FerriteTimeoutError);
        expect(isTimeoutError(error)).toBe(true);
        expect(error).toMatchObject({ timeoutMs: 50, command: 'GETORSET' });
        // It started the flight (its lookup was sent, and the flight will store what it computes).
        expect(isMaybeApplied(error)).toBe(true);
        // The shared work is not aborted: it computes once, for the caller still waiting.
        await until('the computation to start', () => computations > 0);
        expect(computeSignal!.aborted).toBe(false);
        finish.resolve('answer');
        expect(await second).toBe('answer');
        expect(computations).toBe(1);
        expect(await ferrite.semantic.get(ns, 'prompt', { threshold: 1 })).toBe('answer');
      });

      it("through a view: a caller whose deadline ends while it waits on another's flight says it started nothing", async () => {
        const ns = unique('view-timeout-join');
        const finish = deferred<string>();
        let computations = 0;
        const compute = () => (computations++, finish.promise);
        const owner = ferrite.semantic.cache(ns).getOrSet('prompt', compute);
        const joiner = ferrite.withOptions({ timeout: 50 }).semantic.cache(ns).getOrSet('prompt', compute);
        const error = await rejectionOf(joiner);
        expect(error).toBeInstanceOf(FerriteTimeoutError);
        expect(isMaybeApplied(error)).toBe(false);
        await until('the computation to start', () => computations > 0);
        finish.resolve('answer');
        expect(await owner).toBe('answer');
        expect(computations).toBe(1);
      });

      it('rejects at once with a signal that is already aborted', async () => {
        const cache = ferrite.semantic.cache(unique('aborted'));
        let computed = false;
        await expect(cache.getOrSet('prompt', () => ((computed = true), 'x'), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
          FerriteAbortError,
        );
        expect(computed).toBe(false);
      });
    });

    describe('codec', () => {
      it('stores strings byte for byte by default, so the raw API and other clients read them as written', async () => {
        const ns = unique('codec-text');
        const cache = ferrite.semantic.cache(ns);
        expect(await cache.getOrSet('What is Ferrite?', () => 'Ferrite!')).toBe('Ferrite!');
        expect(await ferrite.semantic.get(ns, 'What is Ferrite?')).toBe('Ferrite!');
        for (const value of ['{"a":1}', '', 's', 'j{"a":1}', 'Ünïcødé ✓ 🚀\r\n\0']) {
          await cache.set(`stored ${JSON.stringify(value)}`, value);
          expect(await ferrite.semantic.get(ns, `stored ${JSON.stringify(value)}`, { threshold: 1 })).toBe(value);
          expect(await cache.get(`stored ${JSON.stringify(value)}`, { threshold: 1 })).toBe(value);
        }
      });

      it('reads any stored string as it is, whoever wrote it, the old tagged format included', async () => {
        const ns = unique('codec-foreign');
        await ferrite.semantic.set(ns, 'written by hand', 'plain text');
        await ferrite.semantic.set(ns, 'written by an old handle', 'sFerrite!');
        const cache = ferrite.semantic.cache(ns, { threshold: 1 });
        expect(await cache.get('written by hand')).toBe('plain text');
        expect(await cache.get('written by an old handle')).toBe('sFerrite!');
        expect(await cache.getOrSet('written by hand', () => 'must not run')).toBe('plain text');
        expect((await cache.stats()).process.errors).toBe(0);
      });

      it('stores typed values through jsonCodec as plain JSON text', async () => {
        const ns = unique('codec-json');
        type Answer = { text: string; sources: string[]; confidence: number };
        const cache = ferrite.semantic.cache<Answer>(ns, { codec: jsonCodec<Answer>() });
        const answer = { text: 'Paris', sources: ['wiki'], confidence: 0.9 };
        expect(await cache.getOrSet('capital of france', () => answer)).toEqual(answer);
        expect(await cache.get('capital of france')).toEqual(answer);
        expect(await ferrite.semantic.get(ns, 'capital of france')).toBe('{"text":"Paris","sources":["wiki"],"confidence":0.9}');
        await expect(cache.set('undefined', undefined as unknown as Answer)).rejects.toBeInstanceOf(FerriteValidationError);
      });

      it('throws SemanticCodecError naming the namespace for a value the codec cannot read, and getOrSet computes over it', async () => {
        const ns = unique('codec-unreadable');
        await ferrite.semantic.set(ns, 'prompt', 'written by hand');
        const cache = ferrite.semantic.cache<{ a: number }>(ns, { codec: jsonCodec() });
        const error = await cache.get('prompt').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SemanticCodecError);
        expect((error as SemanticCodecError).namespace).toBe(ns);
        expect((error as SemanticCodecError).message).toContain(`namespace "${ns}"`);
        expect(await cache.getOrSet('prompt', () => ({ a: 1 }))).toEqual({ a: 1 });
        expect(await cache.get('prompt')).toEqual({ a: 1 });
        expect((await cache.stats()).process.errors).toBe(2);
      });

      it('wraps any error a custom codec throws into SemanticCodecError with the namespace', async () => {
        const ns = unique('codec-custom-error');
        await ferrite.semantic.set(ns, 'prompt', 'zz');
        const strictHex = {
          encode: (n: number) => n.toString(16),
          decode: (s: string) => {
            if (!/^[0-9a-f]+$/.test(s)) throw new RangeError(`not hex: ${s}`);
            return parseInt(s, 16);
          },
        };
        const error = await ferrite.semantic.cache<number>(ns, { codec: strictHex }).get('prompt').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SemanticCodecError);
        expect((error as SemanticCodecError).message).toBe(`cannot decode the cached value in namespace "${ns}": not hex: zz`);
        expect((error as SemanticCodecError).cause).toBeInstanceOf(RangeError);
      });

      it('reads and migrates values in the old tagged format with legacyTaggedCodec', async () => {
        const ns = unique('codec-legacy');
        await ferrite.semantic.set(ns, 'old string', 'sFerrite!');
        await ferrite.semantic.set(ns, 'old object', 'j{"a":1}');
        const legacy = ferrite.semantic.cache<unknown>(ns, { codec: legacyTaggedCodec, threshold: 1 });
        expect(await legacy.get('old string')).toBe('Ferrite!');
        expect(await legacy.get('old object')).toEqual({ a: 1 });
        // Migrating: read with the legacy codec, write back with the default one.
        await ferrite.semantic.cache(ns).set('old string', (await legacy.get('old string')) as string);
        expect(await ferrite.semantic.get(ns, 'old string', { threshold: 1 })).toBe('Ferrite!');
      });

      it('uses a custom codec', async () => {
        const ns = unique('custom');
        const cache = ferrite.semantic.cache<number>(ns, { codec: { encode: (n) => n.toString(16), decode: (s) => parseInt(s, 16) } });
        await cache.set('answer', 255);
        expect(await ferrite.semantic.get(ns, 'answer')).toBe('ff');
        expect(await cache.get('answer')).toBe(255);
      });

      it('rejects a non-string value on a default handle before anything is sent', async () => {
        const cache = ferrite.semantic.cache(unique('codec-non-string'));
        const before = harness.commandsProcessed();
        await expect(cache.set('prompt', 42 as unknown as string)).rejects.toBeInstanceOf(FerriteValidationError);
        await expect(cache.getOrSet('prompt', () => ({ a: 1 }) as unknown as string)).rejects.toBeInstanceOf(FerriteValidationError);
        // getOrSet looked the text up (one command) and stored nothing.
        expect(harness.commandsProcessed() - before).toBe(1);
      });
    });

    describe('wrap', () => {
      it('caches a function by its prompt and passes the other arguments through on a miss', async () => {
        const cache = ferrite.semantic.cache(unique('wrap'));
        const seen: Array<[string, { temperature: number }]> = [];
        const llm = async (prompt: string, options: { temperature: number }) => {
          seen.push([prompt, options]);
          return `answer to ${prompt}`;
        };
        const cached = cache.wrap(llm);
        expect(await cached('Explain TCP slow start', { temperature: 0.2 })).toBe('answer to Explain TCP slow start');
        expect(await cached('explain tcp slow start', { temperature: 0.9 })).toBe('answer to Explain TCP slow start');
        expect(seen).toEqual([['Explain TCP slow start', { temperature: 0.2 }]]);
      });
    });

    describe('getOrSetStream', () => {
      it('passes chunks through before the stream ends, stores the whole text, and replays it on a hit', async () => {
        const cache = ferrite.semantic.cache(unique('stream'));
        const consumerSawFirst = deferred();
        const watchdog = setTimeout(() => consumerSawFirst.reject(new Error('chunk 1 never reached the consumer')), 5000);
        let produced = 0;
        async function* produce() {
          produced++;
          yield 'Hello, ';
          await consumerSawFirst.promise; // the consumer must see chunk 1 before chunk 2 exists
          yield 'streaming ';
          yield 'world';
        }
        const received: string[] = [];
        try {
          for await (const chunk of cache.getOrSetStream('say hello', produce)) {
            received.push(chunk);
            if (received.length === 1) consumerSawFirst.resolve();
          }
        } finally {
          clearTimeout(watchdog);
        }
        expect(received).toEqual(['Hello, ', 'streaming ', 'world']);
        expect(await cache.get('say hello')).toBe('Hello, streaming world');
        expect(await collect(cache.getOrSetStream('Say hello!', produce))).toEqual(['Hello, streaming world']);
        expect(produced).toBe(1);
        expect((await cache.stats()).process.computationsSaved).toBe(1);
      });

      it('stores nothing when the stream is aborted', async () => {
        const cache = ferrite.semantic.cache(unique('stream-abort'));
        const controller = new AbortController();
        async function* produce(signal: AbortSignal | undefined) {
          yield 'partial ';
          await new Promise((_, reject) => {
            if (signal!.aborted) reject(signal!.reason);
            signal!.addEventListener('abort', () => reject(signal!.reason), { once: true });
          });
          yield 'never';
        }
        const received: string[] = [];
        const outcome = (async () => {
          for await (const chunk of cache.getOrSetStream('prompt', produce, { signal: controller.signal })) {
            received.push(chunk);
            controller.abort();
          }
        })();
        await expect(outcome).rejects.toThrow();
        expect(received).toEqual(['partial ']);
        expect(await cache.get('prompt', { threshold: 0 })).toBeNull();
      });

      it('stores nothing when aborted between chunks of a producer that ignores the signal', async () => {
        const cache = ferrite.semantic.cache(unique('stream-ignore'));
        const controller = new AbortController();
        async function* produce() {
          yield 'one ';
          yield 'two';
        }
        const outcome = (async () => {
          for await (const _ of cache.getOrSetStream('prompt', produce, { signal: controller.signal })) controller.abort();
        })();
        await expect(outcome).rejects.toBeInstanceOf(FerriteAbortError);
        expect(await cache.get('prompt', { threshold: 0 })).toBeNull();
      });

      it('stores nothing when the producer fails or the consumer stops early', async () => {
        const cache = ferrite.semantic.cache(unique('stream-partial'));
        const failure = new Error('connection reset by the model');
        async function* failing() {
          yield 'half an ';
          throw failure;
        }
        await expect(collect(cache.getOrSetStream('prompt', failing))).rejects.toBe(failure);
        let closed = false;
        async function* endless() {
          try {
            for (let i = 0; ; i++) yield `chunk ${i} `;
          } finally {
            closed = true;
          }
        }
        for await (const chunk of cache.getOrSetStream('prompt', endless)) if (chunk === 'chunk 2 ') break;
        expect(closed).toBe(true);
        expect(await cache.get('prompt', { threshold: 0 })).toBeNull();
        expect((await cache.stats()).server.entries).toBe(0);
      });
    });
  },
  { emulatorOptions: () => ({ clock: () => now }), cluster: true },
);
