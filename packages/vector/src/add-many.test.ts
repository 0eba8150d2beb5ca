import { createFerrite, type FerriteClient } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import { beforeAll, expect, it, vi } from 'vitest';
import { VectorAddManyAbortError } from './errors.js';
import { vector } from './plugin.js';

type Client = FerriteClient<readonly [ReturnType<typeof vector>]>;

const DIM = 384;
const TOTAL = 20_000;
const BATCH = 500;

function embedding(i: number): Float32Array {
  const values = new Float32Array(DIM);
  for (let d = 0; d < DIM; d++) values[d] = Math.sin(i * 0.37 + d);
  return values;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

describeEachTransport(
  'vector addMany at scale',
  (harness) => {
    let ferrite: Client;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [vector()] });
    });

    it(`adds ${TOTAL} vectors of dimension ${DIM} without pulling more than two batches ahead of the server`, async () => {
      const name = unique('scale');
      await ferrite.vector.createIndex(name, { dim: DIM });
      let yielded = 0;
      let acknowledged = 0;
      let maxAheadOfProgress = 0;
      let maxAheadOfServer = 0;
      // The emulator's own count of commands executed, read synchronously: asking the server
      // through the client would queue behind the batches in flight and hide any look-ahead.
      const executed = () => harness.emulator.stats.commandsProcessed;
      const before = executed();
      async function* source() {
        for (let i = 0; i < TOTAL; i++) {
          maxAheadOfServer = Math.max(maxAheadOfServer, yielded - (executed() - before));
          maxAheadOfProgress = Math.max(maxAheadOfProgress, yielded - acknowledged);
          yielded++;
          yield { id: `doc:${i}`, vector: embedding(i), metadata: { i } };
        }
      }
      const result = await ferrite.vector.addMany(name, source(), {
        batchSize: BATCH,
        onProgress: (p) => (acknowledged = p.processed),
      });
      expect(result).toEqual({ added: TOTAL, failed: [] });
      expect((await ferrite.vector.info(name)).size).toBe(TOTAL);
      expect(maxAheadOfProgress).toBeLessThanOrEqual(2 * BATCH);
      expect(maxAheadOfServer).toBeLessThanOrEqual(2 * BATCH);
      const stored = await ferrite.vector.get(name, 'doc:12345');
      expect(stored?.vector).toEqual(embedding(12345));
      expect(stored?.metadata).toEqual({ i: '12345' });
    });

    it('bounds a synchronous source the same way', () => {
      return (async () => {
        const name = unique('sync');
        await ferrite.vector.createIndex(name, { dim: 2 });
        let yielded = 0;
        let acknowledged = 0;
        let maxAhead = 0;
        function* source() {
          for (let i = 0; i < 5000; i++) {
            maxAhead = Math.max(maxAhead, yielded - acknowledged);
            yielded++;
            yield { id: `s${i}`, vector: [i, 1] };
          }
        }
        const result = await ferrite.vector.addMany(name, source(), { batchSize: 100, onProgress: (p) => (acknowledged = p.processed) });
        expect(result.added).toBe(5000);
        expect(maxAhead).toBeLessThanOrEqual(200);
      })();
    });

    it('a bad item lands in failed while the rest are added', async () => {
      const name = unique('bad');
      await ferrite.vector.createIndex(name, { dim: DIM });
      function* source() {
        for (let i = 0; i < 2000; i++) {
          if (i === 1234) {
            const broken = embedding(i);
            broken[7] = Number.POSITIVE_INFINITY;
            yield { id: 'broken', vector: broken };
          } else {
            yield { id: `ok:${i}`, vector: embedding(i) };
          }
        }
      }
      const result = await ferrite.vector.addMany(name, source(), { batchSize: 256 });
      expect(result.added).toBe(1999);
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0]?.id).toBe('broken');
      expect(result.failed[0]?.error.message).toMatch(/element 7 is Infinity/);
      expect((await ferrite.vector.info(name)).size).toBe(1999);
    });

    it('abort stops pulling, closes the source and says how many were added', async () => {
      const name = unique('abort');
      await ferrite.vector.createIndex(name, { dim: DIM });
      const controller = new AbortController();
      let yielded = 0;
      let closed = false;
      async function* source() {
        try {
          for (let i = 0; i < TOTAL; i++) {
            yielded++;
            yield { id: `a:${i}`, vector: embedding(i) };
          }
        } finally {
          closed = true;
        }
      }
      const error = await ferrite.vector
        .addMany(name, source(), {
          batchSize: BATCH,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.processed >= 3 * BATCH) controller.abort(new Error('enough'));
          },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorAddManyAbortError);
      const aborted = error as VectorAddManyAbortError;
      const size = (await ferrite.vector.info(name)).size;
      expect(aborted.added).toBe(size);
      expect(aborted.added).toBeGreaterThanOrEqual(3 * BATCH);
      expect(aborted.added).toBeLessThan(TOTAL);
      expect(aborted.message).toBe(`addMany was aborted after ${size} vectors were added (0 failed)`);
      expect((aborted.cause as Error).message).toBe('enough');
      expect(yielded).toBeLessThanOrEqual(size + 2 * BATCH);
      // return() is called at once, or right after the step the source was in when the signal fired.
      await vi.waitFor(() => expect(closed).toBe(true), { timeout: 10_000 });
    });

    it('abort does not wait for a source that is stuck producing', async () => {
      const name = unique('stuck');
      await ferrite.vector.createIndex(name, { dim: 2 });
      const controller = new AbortController();
      let processed = 0;
      async function* source() {
        for (let i = 0; i < 10; i++) yield { id: `x${i}`, vector: [i, 1] };
        await new Promise(() => {});
      }
      const running = ferrite.vector.addMany(name, source(), {
        batchSize: 5,
        signal: controller.signal,
        onProgress: (p) => (processed = p.processed),
      });
      await vi.waitFor(() => expect(processed).toBe(10), { timeout: 10_000 });
      controller.abort();
      await expect(running).rejects.toMatchObject({ added: 10, failed: [] });
    });

    it('an error from the source or from onProgress stops the load and rejects with it', async () => {
      const name = unique('errors');
      await ferrite.vector.createIndex(name, { dim: 2 });
      function* failing() {
        for (let i = 0; i < 250; i++) yield { id: `f${i}`, vector: [i, 1] };
        throw new Error('disk on fire');
      }
      await expect(ferrite.vector.addMany(name, failing(), { batchSize: 100 })).rejects.toThrow('disk on fire');
      // The batches already sent settle; the partial batch the source failed in is not sent.
      expect((await ferrite.vector.info(name)).size).toBe(200);

      let pulled = 0;
      function* plenty() {
        for (let i = 0; i < 10_000; i++) {
          pulled++;
          yield { id: `p${i}`, vector: [i, 1] };
        }
      }
      const progressError = new Error('progress handler bug');
      await expect(
        ferrite.vector.addMany(name, plenty(), {
          batchSize: 100,
          onProgress: () => {
            throw progressError;
          },
        }),
      ).rejects.toBe(progressError);
      expect(pulled).toBeLessThanOrEqual(300);
    });

    it('reports progress for a batch of nothing but invalid items', async () => {
      const name = unique('invalid');
      await ferrite.vector.createIndex(name, { dim: 2 });
      const seen: unknown[] = [];
      const items = [{ id: 'a', vector: [1] }, { id: 'b', vector: [] }, { id: 'c', vector: [1, 2] }];
      const result = await ferrite.vector.addMany(name, items, { batchSize: 2, onProgress: (p) => seen.push(p) });
      expect(result.added).toBe(1);
      expect(result.failed.map((f) => f.id)).toEqual(['a', 'b']);
      expect(seen).toEqual([
        { added: 0, failed: 2, processed: 2 },
        { added: 1, failed: 2, processed: 3 },
      ]);
    });

    it('an already aborted signal rejects without pulling', async () => {
      const name = unique('pre');
      await ferrite.vector.createIndex(name, { dim: 2 });
      let pulled = false;
      function* source() {
        pulled = true;
        yield { id: 'a', vector: [1, 2] };
      }
      await expect(ferrite.vector.addMany(name, source(), { signal: AbortSignal.abort() })).rejects.toThrow(VectorAddManyAbortError);
      expect(pulled).toBe(false);
    });
  },
  { drivers: ['memory'] },
);
