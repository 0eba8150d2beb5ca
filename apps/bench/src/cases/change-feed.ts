/**
 * Case 6: a change feed from write to consumer. Throughput: a producer pipelines SETs (batches of
 * 100 straight on the transport, so the figure is the feed's and not the per-call cost of the
 * writes) while a consumer iterates the feed; events per second from the first write to the last
 * event received, each checked to arrive once and in order. One untimed run first, then the median
 * of three timed runs: a single run from a cold start measured mostly how soon the JIT compiled
 * the driver's parser and the feed (the same code went from 24 000 to 40 000 events/s over its
 * first runs in one process), and swung ±25 % from one process to the next. Latency: one write at
 * a time, timed from issuing the SET to the consumer holding its event (p50/p99), so the figure is
 * the feed's delay, not a queue the benchmark built.
 */
import { cdc, type CdcApi, type ChangeFeed } from '@ferrite/cdc';
import { createFerrite, type Transport } from '@ferrite/core';
import type { CaseResult } from '../measure.js';
import { quantile } from '../measure.js';
import { connect, type TransportName } from '../transports.js';

export interface ChangeFeedGoals {
  readonly minEventsPerSecond: number;
  readonly maxLatencyP99Ms: number;
}

export interface ChangeFeedSizes {
  readonly feedEvents: number;
  readonly feedLatencySamples: number;
}

const BATCH = 100;
/** Timed throughput runs, each of `feedEvents` events; odd, so the median is one run's figure. */
const THROUGHPUT_RUNS = 3;

async function nextEvent(feed: ChangeFeed, expected: string): Promise<void> {
  const next = await feed.next();
  if (next.done) throw new Error('the feed ended early');
  if (next.value.value !== expected) throw new Error(`expected the event of write ${expected}, got ${String(next.value.value)}`);
}

/**
 * One throughput run on keys of its own (`keys:*`), on a feed opened for it: events per second
 * from the first write to the last event received.
 */
async function throughputRun(api: CdcApi, transport: Transport, keys: string, events: number): Promise<number> {
  const feed = await api.subscribe(`${keys}:*`, { batchSize: 1000, bufferSize: 10_000 });
  try {
    const started = performance.now();
    const consumed = (async () => {
      for (let i = 0; i < events; i++) await nextEvent(feed, String(i));
    })();
    for (let first = 0; first < events; first += BATCH) {
      const count = Math.min(BATCH, events - first);
      const writes = Array.from({ length: count }, (_, j) => ({ name: 'SET', args: [`${keys}:${j}`, String(first + j)] }));
      const replies = await transport.batch(writes);
      const failed = replies.find((reply) => !reply.ok);
      if (failed && !failed.ok) throw failed.error;
    }
    await consumed;
    return events / ((performance.now() - started) / 1000);
  } finally {
    await feed.close();
  }
}

export async function benchChangeFeed(transportName: TransportName, url: string, sizes: ChangeFeedSizes, goals: ChangeFeedGoals): Promise<CaseResult[]> {
  const connection = await connect(transportName, url);
  const ferrite = createFerrite({ transport: connection.transport, plugins: [cdc()] });
  const prefix = `bench:cdc:${process.pid}:${Date.now()}`;
  try {
    // Throughput: a warm-up run, then the timed ones.
    await throughputRun(ferrite.cdc, connection.transport, `${prefix}:w`, sizes.feedEvents);
    const runs: number[] = [];
    for (let run = 0; run < THROUGHPUT_RUNS; run++) runs.push(await throughputRun(ferrite.cdc, connection.transport, `${prefix}:t${run}`, sizes.feedEvents));
    const eventsPerSecond = quantile([...runs].sort((a, b) => a - b), 0.5);

    // Latency.
    await using paced = await ferrite.cdc.subscribe(`${prefix}:l:*`);
    const samples: number[] = [];
    for (let i = 0; i < sizes.feedLatencySamples + 20; i++) {
      const before = performance.now();
      const received = nextEvent(paced, String(i));
      await ferrite.send('SET', `${prefix}:l:k`, String(i));
      await received;
      if (i >= 20) samples.push(performance.now() - before);
    }
    samples.sort((a, b) => a - b);
    const p50Ms = quantile(samples, 0.5);
    const p99Ms = quantile(samples, 0.99);

    return [
      {
        name: `change feed write→consumer throughput (${transportName})`,
        ops: sizes.feedEvents,
        opsPerSecond: eventsPerSecond,
        note: `change feed (${transportName}): median of ${THROUGHPUT_RUNS} runs after a warm-up run, events/s: ${runs.map((figure) => Math.round(figure).toLocaleString('en')).join(' / ')}`,
        goal: `≥ ${goals.minEventsPerSecond.toLocaleString('en')} events/s`,
        pass: eventsPerSecond >= goals.minEventsPerSecond,
        timed: true,
      },
      {
        name: `change feed write→consumer latency (${transportName})`,
        ops: samples.length,
        p50Ms,
        p99Ms,
        goal: `p99 ≤ ${goals.maxLatencyP99Ms} ms`,
        pass: p99Ms <= goals.maxLatencyP99Ms,
        timed: true,
      },
    ];
  } finally {
    await ferrite.close();
  }
}
