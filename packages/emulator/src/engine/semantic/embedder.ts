/**
 * The emulator's built-in text embedder (docs/protocol.md#semantic-cache): deterministic, no model files.
 *
 * Normalised text gives two kinds of features, hashed with a sign into two separate regions of
 * the vector, each region normalised on its own and then weighted:
 * - words and adjacent word pairs (region weight² 0.75), each hashed twice so that two different
 *   words practically never land on the same buckets;
 * - character trigrams of each word, with boundary marks (region weight² 0.25), so related
 *   spellings (`cat`/`cats`) come out a little closer than unrelated ones.
 * Texts that share no words therefore meet only in the trigram region: their similarity stays
 * at or below 0.25 plus hashing noise, well under 0.5, however long their words are. Identical
 * normalised texts give identical vectors (cosine 1).
 */
export const EMBEDDING_DIMENSION = 2048;

const WORD_REGION = { start: 0, size: 1536, weight: Math.sqrt(0.75) } as const;
const TRIGRAM_REGION = { start: 1536, size: 512, weight: Math.sqrt(0.25) } as const;
const WORD_WEIGHT = 1;
const WORD_PAIR_WEIGHT = 0.5;

type Region = typeof WORD_REGION | typeof TRIGRAM_REGION;

/** Lower case, punctuation dropped, whitespace collapsed. */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** FNV-1a over UTF-16 code units with a seed, then an avalanche so low bits and the sign bit are well mixed. */
function hashFeature(feature: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < feature.length; i++) {
    hash ^= feature.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function addFeature(vector: Float64Array, region: Region, feature: string, weight: number, seed: number): void {
  const hash = hashFeature(feature, seed);
  const bucket = region.start + (hash % region.size);
  vector[bucket] = (vector[bucket] as number) + (hash & 0x80000000 ? -weight : weight);
}

/** Words and pairs go in twice, under two seeds, at weight / √2 each: same norm, far fewer full collisions. */
function addWordFeature(vector: Float64Array, feature: string, weight: number): void {
  addFeature(vector, WORD_REGION, feature, weight / Math.SQRT2, 0x9e3779b9);
  addFeature(vector, WORD_REGION, feature, weight / Math.SQRT2, 0x7f4a7c15);
}

/** Scales a region to unit length times its weight; returns whether it had any features. */
function normaliseRegion(vector: Float64Array, region: Region): boolean {
  let norm = 0;
  for (let i = region.start; i < region.start + region.size; i++) norm += (vector[i] as number) ** 2;
  if (norm === 0) return false;
  const scale = region.weight / Math.sqrt(norm);
  for (let i = region.start; i < region.start + region.size; i++) vector[i] = (vector[i] as number) * scale;
  return true;
}

export function defaultEmbedder(text: string): Float32Array {
  const normalised = normaliseText(text);
  const accumulator = new Float64Array(EMBEDDING_DIMENSION);
  if (normalised === '') {
    // Without a feature the vector would be zero and no text, not even another empty one, would match it.
    addWordFeature(accumulator, 'empty:', WORD_WEIGHT);
  } else {
    const words = normalised.split(' ');
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      addWordFeature(accumulator, `w:${word}`, WORD_WEIGHT);
      if (i + 1 < words.length) addWordFeature(accumulator, `p:${word} ${words[i + 1] as string}`, WORD_PAIR_WEIGHT);
      const bounded = [...`<${word}>`];
      for (let j = 0; j + 3 <= bounded.length; j++) addFeature(accumulator, TRIGRAM_REGION, bounded.slice(j, j + 3).join(''), 1, 0);
    }
  }
  normaliseRegion(accumulator, WORD_REGION);
  normaliseRegion(accumulator, TRIGRAM_REGION);
  // Both regions are at their weights now; renormalising the whole keeps a text with one region
  // (the empty text) at unit length too.
  let norm = 0;
  for (const value of accumulator) norm += value * value;
  norm = Math.sqrt(norm);
  const embedding = new Float32Array(EMBEDDING_DIMENSION);
  // Opposite signs can cancel exactly, leaving zero; a zero vector is kept as is (similarity 0).
  if (norm > 0) for (let i = 0; i < EMBEDDING_DIMENSION; i++) embedding[i] = (accumulator[i] as number) / norm;
  return embedding;
}
