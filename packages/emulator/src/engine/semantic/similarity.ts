/**
 * docs/protocol.md#semantic-cache's similarity: the cosine of two embeddings, clamped to [0, 1]. Embeddings of
 * different lengths (a custom embedder changed between SET and GET) are unrelated: 0.
 *
 * The dot product and both norms are summed in one loop in the same order, so an embedding
 * compared with itself gives exactly 1 and an inclusive threshold of 1.0 still hits.
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  if (normA === 0 || normB === 0) return 0;
  const cos = dot / Math.sqrt(normA * normB);
  return Math.min(1, Math.max(0, cos));
}

/** Similarity as the reply carries it: 6 digits after the point. */
export function formatSimilarity(similarity: number): string {
  return similarity.toFixed(6);
}
