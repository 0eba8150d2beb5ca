/** Deterministic test vectors, so runs are comparable and need no data files. */

/** A small fast PRNG (mulberry32); quality is irrelevant here, repeatability is not. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVector(dim: number, random: () => number): Float32Array {
  const vector = new Float32Array(dim);
  for (let i = 0; i < dim; i++) vector[i] = random() * 2 - 1;
  return vector;
}

export interface VectorItem {
  readonly id: string;
  readonly vector: Float32Array;
  readonly metadata: { readonly group: number };
}

/**
 * Yields `count` items, each made only when pulled, so a loader that holds them all would show up
 * in the memory figures while a streaming loader would not. `onYield` lets the caller sample memory.
 */
export function* generateItems(count: number, dim: number, seed: number, onYield?: (index: number) => void): Generator<VectorItem> {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    onYield?.(i);
    yield { id: `v:${i}`, vector: randomVector(dim, random), metadata: { group: i % 16 } };
  }
}
