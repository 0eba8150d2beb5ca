/**
 * Cases 2 and 3: bulk loading with `vector.addMany` from a generator, then `vector.search` topK 10
 * on the loaded index, over one transport.
 *
 * Memory and speed come from two separate loads. The memory load forces a GC before each sample,
 * so it sees what the loader retains (uncollected garbage would otherwise dominate: the young
 * generation alone holds tens of MB before V8 collects it), and those GCs would distort a timing.
 * The items are made only when pulled, so the figure shows what the loader holds, not the source.
 */
import { createFerrite } from '@ferrite/core';
import { vector } from '@ferrite/vector';
import type { VectorApi } from '@ferrite/vector';
import type { CaseResult } from '../measure.js';
import { canCollectGarbage, collectGarbage, PeakMemorySampler } from '../measure.js';
import type { TransportName } from '../transports.js';
import { connect } from '../transports.js';
import { generateItems } from '../vectors.js';
import { searchLatency, searchRow } from './search-latency.js';

export const DIM = 384;
const BYTES_PER_VECTOR = DIM * 4;

export interface VectorLoadGoals {
  /** Vectors per second `addMany` must reach. */
  readonly minVectorsPerSecond: number;
  /**
   * Highest allowed peak growth of heap + ArrayBuffers while loading, in bytes; undefined when the
   * transport keeps the stored vectors in this process, so the loader's share cannot be told apart.
   */
  readonly maxPeakGrowthBytes: number | undefined;
  /** Highest allowed p99 of a topK 10 search, in ms. */
  readonly maxSearchP99Ms: number;
}

export interface VectorLoadSizes {
  readonly vectors: number;
  readonly searches: number;
}

const MB = 1024 * 1024;
/** Items pulled between two memory samples of the memory load (each sample is a full GC). */
const ITEMS_PER_MEMORY_SAMPLE = 1_000;
const SEED = 7;

/** Loads `count` vectors into a scratch index and returns the peak retained growth, in bytes. */
async function peakRetainedGrowth(vectors: VectorApi, index: string, count: number): Promise<number> {
  await vectors.ensureIndex(index, { dim: DIM, distance: 'COSINE' });
  try {
    const sampler = new PeakMemorySampler();
    const sample = () => {
      collectGarbage();
      sampler.sample();
    };
    const source = generateItems(count, DIM, SEED, (i) => {
      if (i % ITEMS_PER_MEMORY_SAMPLE === 0) sample();
    });
    const { added } = await vectors.addMany(index, source);
    if (added !== count) throw new Error(`the memory load added ${added} of ${count} vectors`);
    sample();
    return sampler.peakGrowthBytes;
  } finally {
    await vectors.dropIndex(index);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(0)} MB`;
}

export async function benchVectorLoad(name: TransportName, url: string, sizes: VectorLoadSizes, goals: VectorLoadGoals): Promise<CaseResult[]> {
  const connection = await connect(name, url);
  const ferrite = createFerrite({ transport: connection.transport, plugins: [vector()] });
  const index = `bench:vectors:${name}`;
  try {
    const peakGrowthBytes = canCollectGarbage ? await peakRetainedGrowth(ferrite.vector, `${index}:memory-probe`, sizes.vectors) : undefined;

    await ferrite.vector.ensureIndex(index, { dim: DIM, distance: 'COSINE' });
    const started = performance.now();
    const { added, failed } = await ferrite.vector.addMany(index, generateItems(sizes.vectors, DIM, SEED));
    const loadMs = performance.now() - started;
    if (added !== sizes.vectors || failed.length > 0) {
      throw new Error(`addMany over ${name} added ${added} of ${sizes.vectors}; first failure: ${String(failed[0]?.error)}`);
    }
    const vectorsPerSecond = (added * 1000) / loadMs;
    const allVectorsBytes = sizes.vectors * BYTES_PER_VECTOR;

    const search = await searchLatency(ferrite.vector, index, DIM, name, sizes.searches, 99);

    const size = `${sizes.vectors}×${DIM}`;
    const maxGrowth = goals.maxPeakGrowthBytes;
    return [
      {
        name: `addMany ${size} (${name}) throughput`,
        ops: added,
        opsPerSecond: vectorsPerSecond,
        goal: `≥ ${goals.minVectorsPerSecond} vectors/s`,
        pass: vectorsPerSecond >= goals.minVectorsPerSecond,
        timed: true,
      },
      {
        name: `addMany ${size} (${name}) peak retained memory`,
        ops: added,
        heapDeltaBytes: peakGrowthBytes,
        goal:
          peakGrowthBytes === undefined
            ? 'needs node --expose-gc'
            : maxGrowth === undefined
              ? `info: server store is in-process (all vectors ${megabytes(allVectorsBytes)})`
              : `≤ ${megabytes(maxGrowth)} (all vectors ${megabytes(allVectorsBytes)})`,
        pass: peakGrowthBytes === undefined || maxGrowth === undefined ? undefined : peakGrowthBytes <= maxGrowth,
      },
      searchRow(`search topK 10 of ${sizes.vectors} (${name})`, search, goals.maxSearchP99Ms),
    ];
  } finally {
    await ferrite.vector.dropIndex(index).catch(() => undefined);
    await ferrite.close();
  }
}
