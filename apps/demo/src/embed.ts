/**
 * A toy embedding for the demo: hashed word and letter-trigram features, L2-normalised. Good enough
 * to make "running shoes" land near "shoes for running" without a model download.
 */
export function embed(text: string, dimension = 64): Float32Array {
  const vector = new Float32Array(dimension);
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const add = (feature: string, weight: number) => {
    let hash = 2166136261;
    for (let i = 0; i < feature.length; i++) hash = Math.imul(hash ^ feature.charCodeAt(i), 16777619);
    vector[(hash >>> 0) % dimension]! += weight;
  };
  for (const word of words) {
    add(`w:${word}`, 1);
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.3);
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
