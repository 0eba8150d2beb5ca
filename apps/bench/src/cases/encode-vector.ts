/**
 * Case 1: `encodeVector` of a 384-dim Float32Array must be zero-copy. The goal is structural (the
 * Buffer is a view of the array's own memory), so it cannot pass by luck on a fast machine; the
 * ops/s figure is there to spot a regression that adds per-element work.
 */
import { encodeVector } from '@ferrite/core';
import type { CaseResult } from '../measure.js';
import { collectGarbage, liveBytes } from '../measure.js';
import { randomVector, seededRandom } from '../vectors.js';

const DIM = 384;

export function benchEncodeVector(iterations: number): CaseResult {
  const vector = randomVector(DIM, seededRandom(1));
  const blob = encodeVector(vector, { dimension: DIM });
  const sharesMemory = blob.buffer === vector.buffer && blob.byteOffset === vector.byteOffset && blob.byteLength === DIM * 4;

  for (let i = 0; i < 1_000; i++) encodeVector(vector, { dimension: DIM });
  collectGarbage();
  const before = liveBytes();
  // Keeping a checksum of the results stops the loop from being optimised away.
  let checksum = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i++) checksum += encodeVector(vector, { dimension: DIM }).byteLength;
  const elapsedMs = performance.now() - started;
  collectGarbage();
  const heapDeltaBytes = liveBytes() - before;
  if (checksum !== iterations * DIM * 4) throw new Error('encodeVector returned a Buffer of the wrong length');

  return {
    name: `encodeVector ${DIM}-dim Float32Array`,
    ops: iterations,
    opsPerSecond: (iterations * 1000) / elapsedMs,
    heapDeltaBytes,
    goal: 'zero-copy: Buffer shares the array memory',
    pass: sharesMemory,
  };
}
