import { distanceScore } from './distance.js';
import type { FilterPredicate } from './filter.js';
import type { VectorEntry, VectorIndex } from './index-store.js';

export interface SearchHit {
  readonly id: string;
  readonly score: number;
  readonly entry: VectorEntry;
}

function byScoreThenId(a: SearchHit, b: SearchHit): number {
  if (a.score !== b.score) return a.score - b.score;
  // latin1 strings: code unit order is byte order.
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Exact k-nearest-neighbour search: every stored vector that passes `filter` is scored, and the
 * `topK` lowest scores are returned, ties broken by id bytewise.
 */
export function exactSearch(index: VectorIndex, query: Float32Array, topK: number, filter?: FilterPredicate): SearchHit[] {
  const hits: SearchHit[] = [];
  const metric = index.options.distance;
  for (const [id, entry] of index.entries) {
    if (filter !== undefined && !filter(entry.metadata)) continue;
    hits.push({ id, score: distanceScore(metric, query, entry.vector), entry });
  }
  hits.sort(byScoreThenId);
  return hits.length > topK ? hits.slice(0, topK) : hits;
}
