/**
 * The cases at tiny sizes: they must produce their rows and check the results they time. No
 * assertion here is about speed (that is what running the benchmark is for).
 */
import { createFerrite } from '@ferrite/core';
import { memoryTransport, startEmulator, type RunningEmulator } from '@ferrite/emulator';
import { vector } from '@ferrite/vector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchCounterIncr } from './counter-incr.js';
import { benchChangeFeed } from './change-feed.js';
import { canCollectGarbage } from '../measure.js';
import { benchEmulatorVectorSearch } from './emulator-vector-search.js';
import { benchEncodeVector } from './encode-vector.js';
import { benchMmrFetch, MMR_FETCH_K } from './mmr-fetch.js';
import { benchSemanticHit } from './semantic-cache.js';
import { benchTransportOverhead } from './transport-overhead.js';
import { benchVectorLoad } from './vector-load.js';

const GOALS = { minVectorsPerSecond: 1, maxPeakGrowthBytes: 1024 * 1024 * 1024, maxSearchP99Ms: 60_000 };

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe('encodeVector case', () => {
  it('passes: a Float32Array is encoded without a copy', () => {
    const result = benchEncodeVector(1_000);
    expect(result.pass).toBe(true);
    expect(result.ops).toBe(1_000);
  });
});

describe.each(['memory', 'ioredis', 'node-redis'] as const)('vector load case over %s', (transport) => {
  it('loads every vector, reports throughput, memory and search rows, and drops its index', async () => {
    const rows = await benchVectorLoad(transport, emulator.url, { vectors: 600, searches: 3 }, GOALS);
    expect(rows.map((row) => row.name)).toEqual([
      `addMany 600×384 (${transport}) throughput`,
      `addMany 600×384 (${transport}) peak retained memory`,
      `search topK 10 of 600 (${transport})`,
    ]);
    expect(rows[0]?.ops).toBe(600);
    expect(rows[2]?.ops).toBe(3);
    if (transport !== 'memory') {
      const ferrite = createFerrite({ transport: memoryTransport({ emulator: emulator.emulator }), plugins: [vector()] });
      expect(await ferrite.vector.list()).toEqual([]);
      await ferrite.close();
    }
  }, 30_000);
});

describe.each(['memory', 'ioredis'] as const)('emulator vector search case over %s', (transport) => {
  it('times searches on a loaded index, reports bytes per vector in process, and drops its index', async () => {
    const rows = await benchEmulatorVectorSearch(transport, emulator.url, { vectors: 300, searches: 3 }, { maxSearchP99Ms: 60_000, maxBytesPerVector: 1 });
    expect(rows[0]?.name).toBe(`emulator search topK 10 of 300×384 (${transport})`);
    expect(rows[0]?.ops).toBe(3);
    if (transport === 'memory') {
      expect(rows.map((row) => row.name)).toEqual([`emulator search topK 10 of 300×384 (memory)`, 'emulator bytes per stored vector, 300×384']);
      // A goal of 1 byte cannot be met by 384 floats: the row judges what it measured (when it can).
      expect(rows[1]?.pass).toBe(canCollectGarbage ? false : undefined);
      expect(rows[1]?.goal).toMatch(canCollectGarbage ? /^≤ 1 B \(is \d+ B; the floats alone 1536 B\)$/ : /^needs node --expose-gc$/);
    } else {
      expect(rows).toHaveLength(1);
      const ferrite = createFerrite({ transport: memoryTransport({ emulator: emulator.emulator }), plugins: [vector()] });
      expect(await ferrite.vector.list()).toEqual([]);
      await ferrite.close();
    }
  }, 30_000);
});

describe.each(['ioredis', 'node-redis'] as const)('GET overhead case over %s', (driver) => {
  it('times the driver and ferrite.send on the same key and states the ratio', async () => {
    const [raw, sdk] = await benchTransportOverhead(driver, emulator.url, 20);
    expect(raw?.ops).toBe(100);
    expect(sdk?.ops).toBe(100);
    expect(sdk?.goal).toMatch(/^≤ 1\.5× raw time per op \(is \d+\.\d\d×\)$/);
  }, 30_000);
});

describe.each(['ioredis', 'node-redis'] as const)('counter incr case over %s', (driver) => {
  it('times bare and op-id increments on one counter, checks the count and states the ratio', async () => {
    const [bare, withOpId] = await benchCounterIncr(driver, emulator.url, 20);
    expect(bare?.ops).toBe(100);
    expect(withOpId?.ops).toBe(100);
    expect(withOpId?.goal).toMatch(/^p50 ≤ 1\.5× bare p50 \(is \d+\.\d\d×\)$/);
  }, 30_000);
});

describe('semantic hit case', () => {
  it('serves every call from the cache', async () => {
    const result = await benchSemanticHit(50, 60_000);
    expect(result.ops).toBe(50);
    expect(result.pass).toBe(true);
  }, 30_000);
});

describe.each(['memory', 'ioredis', 'node-redis'] as const)('change feed case over %s', (transport) => {
  it('delivers every write once and in order, and reports throughput and latency rows', async () => {
    const rows = await benchChangeFeed(transport, emulator.url, { feedEvents: 300, feedLatencySamples: 20 }, { minEventsPerSecond: 1, maxLatencyP99Ms: 60_000 });
    expect(rows.map((row) => row.name)).toEqual([
      `change feed write→consumer throughput (${transport})`,
      `change feed write→consumer latency (${transport})`,
    ]);
    expect(rows[0]?.ops).toBe(300);
    expect(rows[1]?.ops).toBe(20);
    expect(rows[1]?.p99Ms).toBeGreaterThanOrEqual(rows[1]?.p50Ms as number);
    expect(rows.every((row) => row.pass === true && row.timed === true)).toBe(true);
  });
});

describe.each(['ioredis', 'node-redis'] as const)('MMR fetch case over %s', (driver) => {
  it('times both paths, checking every candidate arrives, and judges the pipeline against one get each', async () => {
    const rows = await benchMmrFetch(driver, emulator.url, 5);
    expect(rows.map((row) => row.name)).toEqual([
      `MMR fetch of ${MMR_FETCH_K} vectors, one get each (${driver})`,
      `MMR fetch of ${MMR_FETCH_K} vectors, getMany pipeline (${driver})`,
    ]);
    expect(rows[1]?.pass).toBeTypeOf('boolean');
  });
});
