/**
 * The emulator's built-in text embedder (PROTOCOL.md §3): deterministic, no model files.
 *
 * Normalised text is turned into features — words (weight 1), adjacent word pairs (0.5) and
 * character trigrams of each word (0.25) — each hashed with a sign into a fixed-size vector, which
 * is then L2-normalised. Words dominate, so texts that share no words stay far apart (trigrams
 * only add a little for related spellings such as `cat`/`cats`), and identical normalised texts
 * give identical vectors (cosine 1).
 */
export const EMBEDDING_DIMENSION = 1024;

const WORD_WEIGHT = 1;
const WORD_PAIR_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;

/** Lower case, punctuation dropped, whitespace collapsed. */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** FNV-1a over UTF-16 code units, then a final avalanche so low bits and the sign bit are well mixed. */
function hashFeature(feature: string): number {
  let hash = 0x811c9dc5;
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

function addFeature(vector: Float64Array, feature: string, weight: number): void {
  const hash = hashFeature(feature);
  const bucket = hash % EMBEDDING_DIMENSION;
  vector[bucket] = (vector[bucket] as number) + (hash & 0x80000000 ? -weight : weight);
}

export function defaultEmbedder(text: string): Float32Array {
  const normalised = normaliseText(text);
  const accumulator = new Float64Array(EMBEDDING_DIMENSION);
  if (normalised === '') {
    // Without a feature the vector would be zero and no text, not even another empty one, would match it.
    addFeature(accumulator, 'empty:', WORD_WEIGHT);
  } else {
    const words = normalised.split(' ');
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      addFeature(accumulator, `w:${word}`, WORD_WEIGHT);
      if (i + 1 < words.length) addFeature(accumulator, `p:${word} ${words[i + 1] as string}`, WORD_PAIR_WEIGHT);
      const bounded = [...`<${word}>`];
      for (let j = 0; j + 3 <= bounded.length; j++) addFeature(accumulator, `c:${bounded.slice(j, j + 3).join('')}`, TRIGRAM_WEIGHT);
    }
  }
  let norm = 0;
  for (const value of accumulator) norm += value * value;
  norm = Math.sqrt(norm);
  const embedding = new Float32Array(EMBEDDING_DIMENSION);
  // Opposite signs can cancel exactly, leaving zero; a zero vector is kept as is (similarity 0).
  if (norm > 0) for (let i = 0; i < EMBEDDING_DIMENSION; i++) embedding[i] = (accumulator[i] as number) / norm;
  return embedding;
}
