/** Timing and memory sampling shared by the cases. */

/** One benchmark case's outcome, as printed in the table. */
export interface CaseResult {
  readonly name: string;
  readonly ops: number;
  readonly opsPerSecond?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** Peak (or end) growth of V8 heap plus ArrayBuffer memory, in bytes. */
  readonly heapDeltaBytes?: number;
  readonly goal: string;
  /** Undefined when the figure is reported for information only (the goal column says why). */
  readonly pass: boolean | undefined;
  /** The goal is about time (throughput, latency), so a `--quick` run's small sizes cannot judge it. */
  readonly timed?: boolean;
  /** Why a case was skipped or what a figure means, printed under the table. */
  readonly note?: string;
}

/** The value at quantile `q` (0–1) of already sorted samples, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface LatencySummary {
  readonly ops: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly totalMs: number;
}

/**
 * Runs `operation` sequentially `iterations` times after `warmup` untimed runs and summarises the
 * per-call latency. Sequential on purpose: a latency figure measured under self-made queueing
 * would describe the queue, not the call.
 */
export async function measureLatency(iterations: number, warmup: number, operation: () => Promise<unknown>): Promise<LatencySummary> {
  for (let i = 0; i < warmup; i++) await operation();
  const samples = new Array<number>(iterations);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const before = performance.now();
    await operation();
    samples[i] = performance.now() - before;
  }
  const totalMs = performance.now() - started;
  samples.sort((a, b) => a - b);
  return { ops: iterations, opsPerSecond: (iterations * 1000) / totalMs, p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99), totalMs };
}

/** V8 heap plus the memory behind ArrayBuffers (where typed arrays larger than 64 bytes live). */
export function liveBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * `liveBytes` plus the rest of V8's external memory, where WebAssembly memories are counted (they
 * are not ArrayBuffer allocations, so `arrayBuffers` leaves them out): the emulator's vector rows
 * live in one.
 */
export function liveBytesWithExternal(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** True when node runs with --expose-gc, so baselines start from a collected heap. */
export const canCollectGarbage = gc !== undefined;

/** Collects garbage when allowed; twice, as one pass can leave objects a finaliser freed. */
export function collectGarbage(): void {
  gc?.();
  gc?.();
}

/** Tracks the highest `liveBytes()` seen above a baseline taken at construction. */
export class PeakMemorySampler {
  readonly baseline: number;
  private peak: number;

  constructor() {
    collectGarbage();
    this.baseline = liveBytes();
    this.peak = this.baseline;
  }

  sample(): void {
    const now = liveBytes();
    if (now > this.peak) this.peak = now;
  }

  get peakGrowthBytes(): number {
    return this.peak - this.baseline;
  }
}
