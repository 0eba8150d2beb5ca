/**
 * `pnpm bench`: the SDK's speed and memory goals, each case measured and judged against its goal.
 *
 *   node --expose-gc dist/main.js [--quick] [--strict] [--only=<text>]…
 *
 * --quick        small sizes, a smoke run of every case in a few seconds; time goals are shown, not judged.
 * --strict       exit 1 when a goal fails (by default only a case that errors makes the exit code 1).
 * --only=<text>  run only the cases whose label contains <text> (repeatable; labels are printed as they run).
 */
import { benchCounterIncr } from './cases/counter-incr.js';
import { benchChangeFeed } from './cases/change-feed.js';
import { benchEmulatorVectorSearch } from './cases/emulator-vector-search.js';
import { benchEncodeVector } from './cases/encode-vector.js';
import { benchMmrFetch } from './cases/mmr-fetch.js';
import { benchSemanticHit } from './cases/semantic-cache.js';
import { benchClusterThroughput } from './cases/cluster-throughput.js';
import { benchFailoverRecovery } from './cases/failover-recovery.js';
import { benchDriverThroughput } from './cases/driver-throughput.js';
import { benchTransportOverhead } from './cases/transport-overhead.js';
import { redisServerMissing, startRedisServer } from './redis-server.js';
import { benchVectorLoad } from './cases/vector-load.js';
import type { CaseResult } from './measure.js';
import { canCollectGarbage } from './measure.js';
import { startEmulatorProcess } from './emulator-process.js';
import { formatTable } from './report.js';
import { GOALS } from './goals.js';

const ONLY = '--only=';
const args = new Set(process.argv.slice(2));
const only = [...args].filter((arg) => arg.startsWith(ONLY)).map((arg) => arg.slice(ONLY.length));
const unknown = [...args].filter((arg) => arg !== '--quick' && arg !== '--strict' && !arg.startsWith(ONLY));
if (unknown.length > 0 || only.includes('')) {
  console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: node --expose-gc dist/main.js [--quick] [--strict] [--only=<text>]…`);
  process.exit(2);
}
const quick = args.has('--quick');
const strict = args.has('--strict');

const SIZES = quick
  ? { encodes: 100_000, vectors: 2_000, emulatorSmall: 2_000, emulatorLarge: 5_000, emulatorSmallSearches: 20, emulatorLargeSearches: 20, searches: 20, getsPerRound: 200, throughputCalls: 2_000, semanticHits: 200, incrsPerRound: 200, mmrFetches: 50, feedEvents: 2_000, feedLatencySamples: 100 }
  : { encodes: 1_000_000, vectors: 20_000, emulatorSmall: 20_000, emulatorLarge: 100_000, emulatorSmallSearches: 500, emulatorLargeSearches: 100, searches: 100, getsPerRound: 2_000, throughputCalls: 20_000, semanticHits: 2_000, incrsPerRound: 2_000, mmrFetches: 500, feedEvents: 20_000, feedLatencySamples: 1_000 };

/**
 * Case 8's two index sizes, each with its number of timed searches and its goals. 500 at 20 000
 * (about 2 s): the p99 of 100 is the 2nd slowest search, too coarse a test of a 1 % tail
 * (apps/bench/README.md, case 8).
 */
const EMULATOR_SEARCHES = [
  [SIZES.emulatorSmall, SIZES.emulatorSmallSearches, GOALS.emulatorVectorSearch.small],
  [SIZES.emulatorLarge, SIZES.emulatorLargeSearches, GOALS.emulatorVectorSearch.large],
] as const;

const results: CaseResult[] = [];
let errors = 0;

/** Runs one case; a case that throws is reported as a failed row and the others still run. */
async function run(label: string, bench: () => Promise<CaseResult | CaseResult[]> | CaseResult): Promise<void> {
  if (only.length > 0 && !only.some((text) => label.includes(text))) return;
  const started = performance.now();
  process.stderr.write(`running ${label}… `);
  try {
    const outcome = await bench();
    for (const result of Array.isArray(outcome) ? outcome : [outcome]) {
      // Small sizes time warm-up more than steady state: a quick run must not call that a regression.
      results.push(quick && result.timed ? { ...result, goal: `${result.goal} (not judged: --quick)`, pass: undefined } : result);
    }
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    errors++;
    process.stderr.write('error\n');
    results.push({ name: label, ops: 0, goal: 'runs without error', pass: false, note: `${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`Ferrite SDK benchmarks (${quick ? 'quick' : 'full'}), node ${process.version}${canCollectGarbage ? '' : ', without --expose-gc: memory baselines include garbage'}\n`);

  await run('encodeVector', () => benchEncodeVector(SIZES.encodes));
  await run('vector load (memory)', () => benchVectorLoad('memory', '', SIZES, GOALS.vectorLoad.memory));
  for (const [vectors, searches, goals] of EMULATOR_SEARCHES) {
    await run(`emulator search ${vectors} (memory)`, () => benchEmulatorVectorSearch('memory', '', { vectors, searches }, goals));
  }

  const emulator = await startEmulatorProcess();
  try {
    for (const driver of ['ioredis', 'node-redis'] as const) {
      await run(`vector load (${driver})`, () => benchVectorLoad(driver, emulator.url, SIZES, GOALS.vectorLoad.tcp));
    }
    for (const [vectors, searches, goals] of EMULATOR_SEARCHES) {
      await run(`emulator search ${vectors} (ioredis)`, () => benchEmulatorVectorSearch('ioredis', emulator.url, { vectors, searches }, goals));
    }
    for (const driver of ['ioredis', 'node-redis'] as const) {
      await run(`GET overhead (${driver})`, () => benchTransportOverhead(driver, emulator.url, SIZES.getsPerRound));
    }
    for (const driver of ['ioredis', 'node-redis'] as const) {
      await run(`counter incr (${driver})`, () => benchCounterIncr(driver, emulator.url, SIZES.incrsPerRound));
      await run(`change feed (${driver})`, () => benchChangeFeed(driver, emulator.url, SIZES, GOALS.changeFeed.tcp));
    }
    for (const driver of ['ioredis', 'node-redis'] as const) {
      await run(`MMR fetch (${driver})`, () => benchMmrFetch(driver, emulator.url, SIZES.mmrFetches));
    }
  } finally {
    await emulator.close();
  }
  const emulatorCluster = await startEmulatorProcess({ primaries: 3 });
  try {
    for (const driver of ['ioredis', 'node-redis'] as const) {
      await run(`raw vs SDK throughput on a cluster (${driver})`, () => benchClusterThroughput(driver, emulatorCluster.url, SIZES.throughputCalls));
    }
  } finally {
    await emulatorCluster.close();
  }
  const missing = redisServerMissing();
  if (missing) {
    results.push({ name: 'raw driver vs ferrite.send (redis-server)', ops: 0, goal: 'runs', pass: false, note: missing });
  } else {
    const redis = await startRedisServer();
    try {
      for (const driver of ['ioredis', 'node-redis', 'valkey-glide'] as const) {
        await run(`raw vs SDK throughput (${driver})`, () => benchDriverThroughput(driver, redis.url, SIZES.throughputCalls));
      }
    } finally {
      await redis.close();
    }
    // Issue 21's must-show is judged on the median of 3 runs; a quick run makes one.
    await run('failover recovery (real redis cluster)', () => benchFailoverRecovery(quick ? 1 : 3));
  }
  await run('change feed (memory)', () => benchChangeFeed('memory', '', SIZES, GOALS.changeFeed.memory));
  await run('semantic getOrSet hit', () => benchSemanticHit(SIZES.semanticHits, GOALS.semanticHitP99Ms));

  console.log(formatTable(results));
  const failed = results.filter((result) => result.pass === false).length;
  console.log(`\n${results.length} rows, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(1)} s${strict ? ' (strict)' : ''}`);
  if (errors > 0 || (strict && failed > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
