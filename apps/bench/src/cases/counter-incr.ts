/**
 * Case 6: what the safety of `crdt.counter(key).incr()` costs. Each increment carries a fresh
 * 128-bit op-id (`ID <op-id>`) so that a resend after a lost reply counts once; the baseline is
 * the same increment sent bare with `ferrite.send('CRDT.COUNTER.INCR', key, '1')`, as the Python
 * thin client sends it. Alternating rounds on one connection, as in case 4; the goal compares the
 * median latencies. The final value must equal the number of increments made, or the case fails.
 */
import { createFerrite } from '@ferrite/core';
import { crdt } from '@ferrite/crdt';
import type { CaseResult } from '../measure.js';
import { measureLatency } from '../measure.js';
import type { TransportName } from '../transports.js';
import { connect } from '../transports.js';

export const MAX_INCR_OVERHEAD_RATIO = 1.5;
const ROUNDS = 5;
const WARMUP = 50;

interface Totals {
  ops: number;
  totalMs: number;
  p50s: number[];
  p99s: number[];
}

export async function benchCounterIncr(name: Exclude<TransportName, 'memory'>, url: string, callsPerRound: number): Promise<CaseResult[]> {
  const connection = await connect(name, url);
  const ferrite = createFerrite({ transport: connection.transport, plugins: [crdt()] });
  // A fresh key per run: CRDT values cannot be deleted (DEL does not see them), only flushed.
  const key = `bench:counter:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  const counter = ferrite.crdt.counter(key);
  try {
    const bare: Totals = { ops: 0, totalMs: 0, p50s: [], p99s: [] };
    const withOpId: Totals = { ops: 0, totalMs: 0, p50s: [], p99s: [] };
    const record = async (totals: Totals, incr: () => Promise<unknown>) => {
      const summary = await measureLatency(callsPerRound, WARMUP, incr);
      totals.ops += summary.ops;
      totals.totalMs += summary.totalMs;
      totals.p50s.push(summary.p50Ms);
      totals.p99s.push(summary.p99Ms);
    };
    for (let round = 0; round < ROUNDS; round++) {
      await record(bare, () => ferrite.send('CRDT.COUNTER.INCR', key, '1'));
      await record(withOpId, () => counter.incr());
    }
    const expected = 2 * ROUNDS * (callsPerRound + WARMUP);
    const value = await counter.get();
    if (value !== expected) throw new Error(`counter over ${name} is ${value} after ${expected} increments`);

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const bareMsPerOp = bare.totalMs / bare.ops;
    const incrMsPerOp = withOpId.totalMs / withOpId.ops;
    // Judged on the median p50 of the rounds: on a shared machine a few stalls dominate the mean.
    const ratio = median(withOpId.p50s) / median(bare.p50s);
    return [
      {
        name: `CRDT.COUNTER.INCR bare, ferrite.send (${name})`,
        ops: bare.ops,
        opsPerSecond: 1000 / bareMsPerOp,
        p50Ms: median(bare.p50s),
        p99Ms: median(bare.p99s),
        goal: 'baseline for the row below',
        pass: undefined,
      },
      {
        name: `crdt counter.incr with op-id (${name})`,
        ops: withOpId.ops,
        opsPerSecond: 1000 / incrMsPerOp,
        p50Ms: median(withOpId.p50s),
        p99Ms: median(withOpId.p99s),
        goal: `p50 ≤ ${MAX_INCR_OVERHEAD_RATIO}× bare p50 (is ${ratio.toFixed(2)}×)`,
        pass: ratio <= MAX_INCR_OVERHEAD_RATIO,
        timed: true,
      },
    ];
  } finally {
    await ferrite.close();
  }
}
