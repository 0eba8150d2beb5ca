/**
 * Case 5: the hit path of `semantic.cache(...).getOrSet` on the memory transport: the lookup the
 * SDK does before deciding not to call the model. The namespace holds a few hundred entries so the
 * lookup has something to compare against; every timed call asks for a stored text again.
 */
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import type { CaseResult } from '../measure.js';
import { measureLatency } from '../measure.js';

const ENTRIES = 200;
const NAMESPACE = 'bench:semantic';

export async function benchSemanticHit(iterations: number, maxP99Ms: number): Promise<CaseResult> {
  const ferrite = createFerrite({ transport: memoryTransport(), plugins: [semantic()] });
  try {
    const cache = ferrite.semantic.cache<string>(NAMESPACE);
    const texts = Array.from({ length: ENTRIES }, (_, i) => `question ${i} about topic ${i * 7919} and detail ${i % 13}`);
    for (const text of texts) await cache.set(text, `answer to ${text}`);

    let computations = 0;
    const compute = () => {
      computations++;
      return 'computed';
    };
    let next = 0;
    const summary = await measureLatency(iterations, 50, async () => {
      const text = texts[next++ % texts.length] as string;
      const value = await cache.getOrSet(text, compute);
      if (value !== `answer to ${text}`) throw new Error(`getOrSet missed or returned another entry's value for "${text}"`);
    });
    if (computations > 0) throw new Error(`getOrSet computed ${computations} times on texts that are stored`);

    return {
      name: `semantic getOrSet hit (memory, ${ENTRIES} entries)`,
      ops: summary.ops,
      opsPerSecond: summary.opsPerSecond,
      p50Ms: summary.p50Ms,
      p99Ms: summary.p99Ms,
      goal: `p99 ≤ ${maxP99Ms} ms`,
      pass: summary.p99Ms <= maxP99Ms,
      timed: true,
    };
  } finally {
    await ferrite.semantic.delete(NAMESPACE).catch(() => undefined);
    await ferrite.close();
  }
}
