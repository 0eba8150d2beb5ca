import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeVectorBlob, encodeVectorBlob } from './blob.js';
import { distanceScore, formatScore } from './distance.js';
import type { DistanceMetric } from './distance.js';
import { parseFilter } from './filter.js';
import { VectorIndex, VectorIndexStore } from './index-store.js';
import { exactSearch } from './search.js';

function indexOf(metric: DistanceMetric, dimension: number): VectorIndex {
  return new VectorIndex('idx', { dimension, distance: metric, type: 'FLAT', m: 16n, efConstruction: 200n, nlist: 100n });
}

describe('distanceScore', () => {
  const q = new Float32Array([1, 0]);
  it('follows docs/protocol.md for each metric', () => {
    expect(distanceScore('COSINE', q, new Float32Array([0, 1]))).toBeCloseTo(1, 12);
    expect(distanceScore('COSINE', q, new Float32Array([-2, 0]))).toBeCloseTo(2, 12);
    expect(distanceScore('COSINE', q, new Float32Array([0, 0]))).toBe(1);
    expect(distanceScore('L2', q, new Float32Array([4, 4]))).toBe(5);
    expect(distanceScore('IP', q, new Float32Array([3, 7]))).toBe(-3);
    expect(Object.is(distanceScore('IP', q, new Float32Array([0, 7])), 0)).toBe(true);
  });

  it('formats with 6 decimals, no negative zero and no exponent', () => {
    expect(formatScore(-1e-17)).toBe('0.000000');
    expect(formatScore(0.1234565)).toBe((0.1234565).toFixed(6));
    expect(formatScore(-2.5)).toBe('-2.500000');
    expect(formatScore(-1e30)).toBe('-1000000000000000019884624838656.000000');
  });
});

describe('vector blobs', () => {
  it('round-trips float32 little-endian', () => {
    const vector = new Float32Array([1.5, -0, 3.4e38]);
    expect(decodeVectorBlob(encodeVectorBlob(vector), 3)).toEqual(vector);
    expect(encodeVectorBlob(vector).readFloatLE(0)).toBe(1.5);
  });

  it('checks length, dimension and finiteness in that order', () => {
    expect(() => decodeVectorBlob(Buffer.alloc(7), 2)).toThrow('ERR invalid vector blob: length 7 is not a multiple of 4');
    expect(() => decodeVectorBlob(Buffer.alloc(12), 2)).toThrow('ERR dimension mismatch: expected 2, got 3');
    const blob = Buffer.alloc(8);
    blob.writeFloatLE(Number.NaN, 4);
    expect(() => decodeVectorBlob(blob, 2)).toThrow('ERR vector contains a non-finite value');
    blob.writeFloatLE(Number.POSITIVE_INFINITY, 4);
    expect(() => decodeVectorBlob(blob, 2)).toThrow('ERR vector contains a non-finite value');
  });
});

describe('VectorIndexStore', () => {
  it('lists names bytewise', () => {
    const store = new VectorIndexStore();
    const options = indexOf('L2', 1).options;
    for (const name of ['b', 'B', 'a', '\u00e9', 'aa']) store.create(name, options);
    expect(store.names()).toEqual(['B', 'a', 'aa', 'b', '\u00e9']);
    expect(store.drop('a')).toBe(true);
    expect(store.drop('a')).toBe(false);
  });
});

// ---- property: exact search equals a brute-force reference ----

function referenceScore(metric: DistanceMetric, q: Float32Array, v: Float32Array): number {
  const qs = Array.from(q);
  const vs = Array.from(v);
  if (metric === 'L2') return Math.sqrt(qs.reduce((sum, x, i) => sum + (x - (vs[i] ?? 0)) ** 2, 0));
  const dot = qs.reduce((sum, x, i) => sum + x * (vs[i] ?? 0), 0);
  if (metric === 'IP') return -dot;
  const nq = qs.reduce((sum, x) => sum + x * x, 0);
  const nv = vs.reduce((sum, x) => sum + x * x, 0);
  const cos = nq === 0 || nv === 0 ? 0 : dot / (Math.sqrt(nq) * Math.sqrt(nv));
  return 1 - Math.min(1, Math.max(-1, cos));
}

function referenceText(score: number): string {
  const text = score.toFixed(6);
  return text === '-0.000000' ? '0.000000' : text;
}

const componentArb = fc.oneof(fc.constantFrom(0, 1, -1, 0.5), fc.float({ min: -100, max: 100, noNaN: true }));

describe('exactSearch (property)', () => {
  it('equals brute force for every metric, with and without a filter', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DistanceMetric>('COSINE', 'L2', 'IP'),
        fc.integer({ min: 1, max: 6 }).chain((dimension) =>
          fc.record({
            dimension: fc.constant(dimension),
            query: fc.array(componentArb, { minLength: dimension, maxLength: dimension }),
            // Few distinct vectors, so equal scores (ties) are common.
            pool: fc.array(fc.array(componentArb, { minLength: dimension, maxLength: dimension }), { minLength: 1, maxLength: 4 }),
            entries: fc.array(
              fc.record({
                id: fc.uint8Array({ minLength: 1, maxLength: 3 }),
                poolIndex: fc.nat(),
                color: fc.option(fc.constantFrom('red', 'blue'), { nil: undefined }),
                n: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
              }),
              { maxLength: 25 },
            ),
          }),
        ),
        fc.integer({ min: 1, max: 30 }),
        fc.option(fc.constantFrom("color = 'red'", 'n >= 5', "color != 'red' OR n < 3"), { nil: undefined }),
        (metric, { dimension, query, pool, entries }, topK, filterText) => {
          const index = indexOf(metric, dimension);
          const stored = new Map<string, { vector: Float32Array; color?: string; n?: number }>();
          for (const entry of entries) {
            const vector = new Float32Array(pool[entry.poolIndex % pool.length] as number[]);
            const metadata = new Map<string, string>();
            if (entry.color !== undefined) metadata.set('color', entry.color);
            if (entry.n !== undefined) metadata.set('n', String(entry.n));
            const id = Buffer.from(entry.id).toString('latin1');
            index.put(id, { vector, metadata });
            stored.set(id, { vector, color: entry.color, n: entry.n });
          }
          const q = new Float32Array(query);
          const keep = (e: { color?: string; n?: number }): boolean => {
            if (filterText === "color = 'red'") return e.color === 'red';
            if (filterText === 'n >= 5') return e.n !== undefined && e.n >= 5;
            if (filterText !== undefined) return (e.color !== undefined && e.color !== 'red') || (e.n !== undefined && e.n < 3);
            return true;
          };
          const expected = [...stored]
            .filter(([, e]) => keep(e))
            .map(([id, e]) => ({ id, score: referenceScore(metric, q, e.vector) }))
            .sort((a, b) => a.score - b.score || Buffer.compare(Buffer.from(a.id, 'latin1'), Buffer.from(b.id, 'latin1')))
            .slice(0, topK)
            .map((hit) => [hit.id, referenceText(hit.score)]);
          const actual = exactSearch(index, q, topK, filterText === undefined ? undefined : parseFilter(filterText)).map((hit) => [
            hit.id,
            formatScore(hit.score),
          ]);
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
