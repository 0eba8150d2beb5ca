import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { decodeVectorBlob, encodeVectorBlob } from './blob.js';
import { DISTANCE_METRICS, distanceScore, formatScore } from './distance.js';
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
            index.put(id, vector, [...metadata].flat());
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
    // 300 indexes, each with its wasm memory: well under a second alone, slower beside busy files.
  }, 30_000);
});

// ---- property: the scanning layout (rows in a wasm memory, swap-remove deletes, replaces, the bounded heap)
// gives what a plain map of id → vector gives, score for score ----

type Operation =
  | { readonly kind: 'put'; readonly id: number; readonly poolIndex: number; readonly tag?: string }
  | { readonly kind: 'delete'; readonly id: number };

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('put' as const), id: fc.nat(60), poolIndex: fc.nat(), tag: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.nat(60) }) },
);

/** A seeded generator, so a large-dimension pool costs fast-check one integer. */
function seededComponents(seed: number, length: number): Float32Array {
  let state = seed >>> 0 || 1;
  const vector = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    // A few exact values among the random ones, so equal partial sums and zero vectors occur.
    const draw = (state >>> 0) % 16;
    vector[i] = draw === 0 ? 0 : draw === 1 ? 1 : ((state >>> 0) / 2 ** 32) * 2 - 1;
  }
  return vector;
}

describe('exactSearch over writes, replaces and deletes (property)', () => {
  // 32 768 floats per vector: 28 rows per 4 MiB chunk, so up to 61 ids span three chunks, writes
  // grow the last one, and deletes release chunks.
  it.each([3, 32768])('matches a plain map of the same writes, dimension %i', (dimension) => {
    fc.assert(
      fc.property(
        fc.constantFrom<DistanceMetric>('COSINE', 'L2', 'IP'),
        // Few distinct vectors (one of them all zeros), so equal scores (ties) are common.
        fc.array(fc.integer({ min: 1, max: 2 ** 31 }), { minLength: 1, maxLength: 5 }),
        fc.array(operationArb, { maxLength: 120 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 70 }),
        fc.option(fc.constantFrom("tag = 'a'", "tag IN ('b', 'c') OR NOT tag = 'a'", "tag != 'b'"), { nil: undefined }),
        (metric, seeds, operations, querySeed, topK, filterText) => {
          const pool = [new Float32Array(dimension), ...seeds.map((seed) => seededComponents(seed, dimension))];
          const index = indexOf(metric, dimension);
          const reference = new Map<string, { vector: Float32Array; tag?: string }>();
          for (const operation of operations) {
            const id = `id:${operation.id}`;
            if (operation.kind === 'delete') {
              expect(index.delete(id)).toBe(reference.delete(id));
              continue;
            }
            const vector = pool[operation.poolIndex % pool.length] as Float32Array;
            index.put(id, vector, operation.tag === undefined ? [] : ['tag', operation.tag]);
            reference.set(id, { vector, tag: operation.tag });
          }
          expect(index.size).toBe(reference.size);
          const query = seededComponents(querySeed, dimension);
          const filter = filterText === undefined ? undefined : parseFilter(filterText);
          const expected = [...reference]
            .filter(([, e]) => filter === undefined || filter(new Map(e.tag === undefined ? [] : [['tag', e.tag]])))
            .map(([id, e]) => ({ id, score: referenceScore(metric, query, e.vector) + 0, tag: e.tag })) // + 0: the reply never carries -0
            .sort((a, b) => a.score - b.score || Buffer.compare(Buffer.from(a.id, 'latin1'), Buffer.from(b.id, 'latin1')))
            .slice(0, topK);
          const actual = exactSearch(index, query, topK, filter).map((hit) => ({ id: hit.id, score: hit.score, tag: hit.metadata.get('tag') }));
          // The same bits, not only the same 6 digits: each sum is accumulated in component order.
          expect(actual).toEqual(expected);
          const bytes = (vector: Float32Array | undefined) => (vector === undefined ? undefined : Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
          for (const [id, e] of reference) expect(bytes(index.get(id)?.vector)?.equals(bytes(e.vector) as Buffer)).toBe(true);
        },
      ),
      { numRuns: dimension > 100 ? 20 : 300 },
    );
  }, 60_000);

  it('keeps a clone independent of its source', () => {
    const index = indexOf('COSINE', 2);
    index.put('a', new Float32Array([1, 0]), ['k', 'v']);
    index.put('b', new Float32Array([0, 1]), []);
    const copy = index.clone();
    index.delete('a');
    index.put('b', new Float32Array([1, 1]), []);
    expect(copy.size).toBe(2);
    expect(copy.get('a')).toEqual({ vector: new Float32Array([1, 0]), metadata: expect.objectContaining({ pairs: ['k', 'v'] }) });
    expect(copy.get('b')?.vector).toEqual(new Float32Array([0, 1]));
    expect(exactSearch(copy, new Float32Array([1, 0]), 2).map((hit) => hit.id)).toEqual(['a', 'b']);
  });
});

// ---- the kernel's paths: whole blocks and their tail, padding, both filter strategies, chunks ----

describe('exactSearch at scale', () => {
  /** Every row's score by distance.ts's definitions, best first, ties by id. */
  function bruteForce(metric: DistanceMetric, query: Float32Array, vectors: ReadonlyMap<string, Float32Array>, keep: (id: string) => boolean, topK: number) {
    return [...vectors]
      .filter(([id]) => keep(id))
      .map(([id, vector]) => ({ id, score: distanceScore(metric, query, vector) + 0 }))
      .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, topK);
  }

  // 2 003 rows: seven full blocks of 256 and a tail that is not a whole group of 8. Dimension 5
  // pads each row to 8 components; 8 needs no padding. Scores must be the same bits. After the
  // first block, each block is summed approximately first, and the kernel's lists of rows are
  // whatever the filter and the bound leave (from a few rows to whole blocks).
  it.each([5, 8])('gives the definitions\' scores, bit for bit, over many blocks (dimension %i)', (dimension) => {
    for (const metric of DISTANCE_METRICS) {
      const index = indexOf(metric, dimension);
      const vectors = new Map<string, Float32Array>();
      for (let i = 0; i < 2003; i++) {
        const id = `v${String(i).padStart(4, '0')}`;
        const vector = seededComponents(i + 1, dimension);
        index.put(id, vector, ['group', String(i % 20)]);
        vectors.set(id, vector);
      }
      const query = seededComponents(99, dimension);
      const hits = (filterText?: string) =>
        exactSearch(index, query, 50, filterText === undefined ? undefined : parseFilter(filterText)).map((hit) => ({ id: hit.id, score: hit.score }));
      const groupOf = (id: string) => Number(id.slice(1)) % 20;
      expect(hits()).toEqual(bruteForce(metric, query, vectors, () => true, 50));
      // One row in 20 passes: short lists.
      expect(hits("group = '3'")).toEqual(bruteForce(metric, query, vectors, (id) => groupOf(id) === 3, 50));
      // Nineteen in 20 pass: long lists with holes.
      expect(hits("group != '3'")).toEqual(bruteForce(metric, query, vectors, (id) => groupOf(id) !== 3, 50));
    }
  });

  it('keeps rows and results through growth, deletes that release chunks, and a clone', () => {
    const dimension = 5000; // 20 000 bytes a row: 206 rows a chunk, 600 rows fill three chunks in many growth steps
    const index = indexOf('L2', dimension);
    const vectors = new Map<string, Float32Array>();
    for (let i = 0; i < 600; i++) {
      const vector = seededComponents(i + 7, dimension);
      index.put(`r${i}`, vector, []);
      vectors.set(`r${i}`, vector);
    }
    const query = seededComponents(3, dimension);
    const ids = (target: VectorIndex) => exactSearch(target, query, 10).map((hit) => [hit.id, hit.score]);
    const expected = (map: Map<string, Float32Array>) => bruteForce('L2', query, map, () => true, 10).map((hit) => [hit.id, hit.score]);
    expect(ids(index)).toEqual(expected(vectors));
    const copy = index.clone();
    // Down to 40 rows: the last two chunks are released along the way.
    for (let i = 0; i < 600; i++) {
      if (i % 15 === 0) continue;
      expect(index.delete(`r${i}`)).toBe(true);
      vectors.delete(`r${i}`);
    }
    expect(index.size).toBe(40);
    expect(ids(index)).toEqual(expected(vectors));
    const same = (a: Float32Array | undefined, b: Float32Array) => a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    for (const [id, vector] of vectors) expect(same(index.get(id)?.vector, vector)).toBe(true);
    // The clone still holds all 600.
    expect(copy.size).toBe(600);
    expect(same(copy.get('r599')?.vector, seededComponents(606, dimension))).toBe(true);
    // And grows again after shrinking.
    for (let i = 600; i < 900; i++) {
      const vector = seededComponents(i + 7, dimension);
      index.put(`r${i}`, vector, []);
      vectors.set(`r${i}`, vector);
    }
    expect(ids(index)).toEqual(expected(vectors));
  });
});

// ---- the approximate sums rule rows out only when they cannot enter the top k ----

describe('exactSearch with rows ruled out by approximate sums (property)', () => {
  /** `vector` with `ulps` added to the float32 bits of a few components: scores a last bit or two apart. */
  function nudged(vector: Float32Array, seed: number): Float32Array {
    const copy = vector.slice();
    const bits = new Int32Array(copy.buffer);
    for (let i = seed % 3; i < copy.length; i += 3 + (seed % 5)) if (copy[i] !== 0) bits[i] = (bits[i] as number) + ((seed >> i) % 3) - 1;
    return copy;
  }

  // 300 to 700 rows, so blocks after the first (256 rows) are summed approximately first. The
  // vectors are few bases, each stored many times exactly or a last bit apart, so many scores tie
  // with or sit next to the worst kept; scales from subnormal products (1e-25 squared underflows
  // float32) to overflowing ones (1e20 squared does not fit a float32) reach the bound's edges.
  it('gives the same ids, order and score bits as scoring every row exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DistanceMetric>('COSINE', 'L2', 'IP'),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 2 ** 31 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 300, max: 700 }),
        fc.constantFrom(1e-25, 1e-3, 1, 1e6, 1e20),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 40 }),
        (metric, dimension, seeds, rows, scale, querySeed, topK) => {
          const bases = seeds.map((seed) => seededComponents(seed, dimension).map((x) => x * scale));
          const index = indexOf(metric, dimension);
          const vectors = new Map<string, Float32Array>();
          for (let i = 0; i < rows; i++) {
            const base = bases[i % bases.length] as Float32Array;
            const vector = i % 4 === 0 ? base : nudged(base, i);
            const id = `r${(i * 7919) % rows}`;
            index.put(id, vector, []);
            vectors.set(id, vector);
          }
          const query = seededComponents(querySeed, dimension).map((x) => x * scale);
          const expected = [...vectors]
            .map(([id, vector]) => ({ id, score: distanceScore(metric, query, vector) + 0 }))
            .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
            .slice(0, topK);
          expect(exactSearch(index, query, topK).map((hit) => ({ id: hit.id, score: hit.score }))).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  }, 30_000);
});

describe('VectorIndex when the process cannot map more memory', () => {
  // Mocked: running a real process out of address space is not something a test can afford.
  it('refuses the write with a clear error and keeps what it had', () => {
    const index = indexOf('IP', 384);
    let written = 0;
    const grow = vi.spyOn((globalThis as unknown as { WebAssembly: { Memory: { prototype: { grow(pages: number): number } } } }).WebAssembly.Memory.prototype, 'grow');
    try {
      grow.mockImplementation(() => {
        throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
      });
      // The first chunk starts at one page (37 rows of 384 after the query, sums and row list): the
      // write that needs a second page fails.
      expect(() => {
        for (; written < 100; written++) index.put(`v${written}`, seededComponents(written + 1, 384), []);
      }).toThrow(/^ERR vector index is full: no memory for vector 38 of dimension 384$/);
      expect(written).toBe(37);
      expect(index.size).toBe(37);
      expect(index.get('v37')).toBeUndefined();
      expect(exactSearch(index, seededComponents(1, 384), 1)[0]?.id).toBe('v0');
    } finally {
      grow.mockRestore();
    }
    index.put('v37', seededComponents(38, 384), []);
    expect(index.size).toBe(38);
  });
});
