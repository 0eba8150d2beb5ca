import type { VectorDistance } from '@ferrite/vector';

/** What `similaritySearchWithScore` returns: similarities (higher is closer) or the server's distances. */
export type ScoreKind = 'similarity' | 'distance';

/**
 * The server's distance (lower is closer) as a similarity (higher is closer), per metric:
 * COSINE `1 − d` (the cosine, −1 to 1); L2 `1 / (1 + d)` (0 to 1, 1 for the same point);
 * IP `−d` (the dot product itself).
 */
export function similarityFromDistance(distance: number, metric: VectorDistance): number {
  switch (metric) {
    case 'COSINE':
      return 1 - distance;
    case 'L2':
      return 1 / (1 + distance);
    case 'IP':
      return -distance;
  }
}
