/**
 * Case 8: the emulator's exact vector search, the wait a user of the demo or of their own tests
 * meets. Loads `vectors` × 384 cosine vectors into a fresh index, then times `vector.search` topK
 * 10, one call at a time. Over the memory transport the index lives in this process, so the case
 * also reports the bytes the emulator retains per stored vector (after a forced GC), counting the
 * WebAssembly memory that holds the index's rows.
 */
import { createFerrite } from '@ferrite/core';
import { vector } from '@ferrite/vector';
import type { CaseResult } from '../measure.js';
import { canCollectGarbage, collectGarbage, liveBytesWithExternal } from '../measure.js';
import type { TransportName } from '../transports.js';
import { connect } from '../transports.js';
import { generateItems } from '../vectors.js';
import { searchLatency, searchRow } from './search-latency.js';
import { DIM } from './vector-load.js';

export interface EmulatorVectorSearchGoals {
  /** Highest allowed p99 of a topK 10 search, in ms. */
  readonly maxSearchP99Ms: number;
  /** Highest allowed bytes retained per stored vector (memory transport only). */
  readonly maxBytesPerVector: number;
}

export interface EmulatorVectorSearchSizes {
  readonly vectors: number;
  readonly searches: number;
}

const SEED = 11;

export async function benchEmulatorVectorSearch(
  name: TransportName,
  url: string,
  sizes: EmulatorVectorSearchSizes,
  goals: EmulatorVectorSearchGoals,
): Promise<CaseResult[]> {
  const connection = await connect(name, url);
  const ferrite = createFerrite({ transport: connection.transport, plugins: [vector()] });
  const index = `bench:emulator-search:${name}`;
  const size = `${sizes.vectors}×${DIM}`;
  try {
    await ferrite.vector.ensureIndex(index, { dim: DIM, distance: 'COSINE' });
    collectGarbage();
    const before = liveBytesWithExternal();
    const { added } = await ferrite.vector.addMany(index, generateItems(sizes.vectors, DIM, SEED));
    if (added !== sizes.vectors) throw new Error(`addMany over ${name} added ${added} of ${sizes.vectors} vectors`);
    // The last batch's vectors (500 × 1 536 B, measured) were seen still referenced just after
    // addMany resolved, and gone 50 ms later: not what the index keeps, so the client goes quiet first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    collectGarbage();
    const retainedBytes = liveBytesWithExternal() - before;
    const bytesPerVector = retainedBytes / sizes.vectors;

    const search = await searchLatency(ferrite.vector, index, DIM, name, sizes.searches, 101);

    const rows: CaseResult[] = [searchRow(`emulator search topK 10 of ${size} (${name})`, search, goals.maxSearchP99Ms)];
    if (name === 'memory') {
      const rounded = Math.round(bytesPerVector);
      rows.push({
        name: `emulator bytes per stored vector, ${size}`,
        ops: added,
        heapDeltaBytes: retainedBytes,
        goal: canCollectGarbage ? `≤ ${goals.maxBytesPerVector} B (is ${rounded} B; the floats alone ${DIM * 4} B)` : 'needs node --expose-gc',
        pass: canCollectGarbage ? bytesPerVector <= goals.maxBytesPerVector : undefined,
      });
    }
    return rows;
  } finally {
    await ferrite.vector.dropIndex(index).catch(() => undefined);
    await ferrite.close();
  }
}
