/**
 * Case: recovery after `kill -9` of a primary of a real 6-node Redis Cluster (3 primaries with a
 * replica each, `cluster-node-timeout` 1000), through each raw cluster client and the SDK over it,
 * side by side: every setup runs SET-then-GET on its own keys, 8 calls in flight, each call with a
 * 1 s deadline, from before the kill until every setup serves the dead primary's slots again.
 * Three runs, each on a fresh cluster; judged on the medians (issue 21's must-show).
 */
import { createFerrite, slotOf, type FerriteClient } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClusterClient, Logger, type GlideClusterClientConfiguration } from '@valkey/valkey-glide';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import type { CaseResult } from '../measure.js';
import { startRedisCluster } from '../redis-cluster.js';

const DEADLINE_MS = 1000;
/** The must-show's slack: no call settles later than its deadline + this. */
const SLACK_MS = 250;
/** The SDK serves the dead primary's slots again no later than its raw driver + this. */
const RECOVERY_ALLOWANCE_MS = 1000;
const BEFORE_KILL_MS = 1000;
/** The longest a run waits for every setup to recover after the kill. */
const RECOVERY_CAP_MS = 20_000;
const LANES = 8;
const KEYS = 96;

/** One setup's client as the workload uses it. */
interface Client {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

type SetupName = 'raw ioredis' | 'SDK over ioredis' | 'raw node-redis' | 'SDK over node-redis' | 'raw valkey-glide' | 'SDK over valkey-glide';
const PAIRS = [
  ['raw ioredis', 'SDK over ioredis'],
  ['raw node-redis', 'SDK over node-redis'],
  ['raw valkey-glide', 'SDK over valkey-glide'],
] as const satisfies ReadonlyArray<readonly [SetupName, SetupName]>;

/** What one run measured of one setup. */
interface RunFigures {
  /** From the kill to the first success on the dead primary's slots (`Infinity`: none within the cap). */
  readonly recoveryMs: number;
  /** The slowest call's time past its deadline (negative: every call settled early). */
  readonly overDeadlineMs: number;
  readonly wrong: number;
  readonly failed: number;
}

/** A raw client's call, abandoned at the deadline as the SDK's is. */
function withDeadline<T>(work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('deadline')), DEADLINE_MS);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

function sdkClient(ferrite: FerriteClient): Client {
  return { set: (key, value) => ferrite.send('SET', key, value), get: (key) => ferrite.send('GET', key), close: () => ferrite.close() };
}

async function openClients(seeds: ReadonlyArray<{ host: string; port: number }>): Promise<Record<SetupName, Client>> {
  const startup = seeds.map(({ host, port }) => ({ host, port }));
  const rootNodes = startup.map(({ host, port }) => ({ url: `redis://${host}:${port}` }));
  const rawIoredis = new Cluster(startup).on('error', () => {});
  const sdkIoredis = new Cluster(startup).on('error', () => {});
  const rawNodeRedis = createCluster({ rootNodes }).on('error', () => {});
  const sdkNodeRedis = createCluster({ rootNodes }).on('error', () => {});
  await Promise.all([rawNodeRedis.connect(), sdkNodeRedis.connect()]);
  // The connection errors a kill causes are what this case measures, not news for the console.
  Logger.init('off');
  // GLIDE's own deadline is longer than the workload's, so the one measured is the workload's.
  const configuration: GlideClusterClientConfiguration = { addresses: startup, requestTimeout: 5 * DEADLINE_MS };
  const [rawGlide, sdkGlide] = await Promise.all([GlideClusterClient.createClient(configuration), GlideClusterClient.createClient(configuration)]);
  return {
    'raw ioredis': {
      set: (key, value) => withDeadline(rawIoredis.set(key, value)),
      get: (key) => withDeadline(rawIoredis.get(key)),
      close: async () => rawIoredis.disconnect(),
    },
    'SDK over ioredis': sdkClient(createFerrite({ transport: ioredisTransport(sdkIoredis, { closeClient: true }), timeout: DEADLINE_MS })),
    'raw node-redis': {
      set: (key, value) => withDeadline(rawNodeRedis.set(key, value)),
      get: (key) => withDeadline(rawNodeRedis.get(key)),
      close: async () => rawNodeRedis.destroy(),
    },
    'SDK over node-redis': sdkClient(createFerrite({ transport: nodeRedisTransport(sdkNodeRedis, { closeClient: true }), timeout: DEADLINE_MS })),
    'raw valkey-glide': {
      set: (key, value) => withDeadline(rawGlide.set(key, value)),
      get: (key) => withDeadline(rawGlide.get(key)),
      close: async () => rawGlide.close(),
    },
    'SDK over valkey-glide': sdkClient(createFerrite({ transport: glideTransport(sdkGlide, { configuration, closeClient: true }), timeout: DEADLINE_MS })),
  };
}

/**
 * SET then GET on each of the setup's keys in turn, `LANES` lanes, until `done()`. A GET must
 * return the last value acknowledged, or one whose SET failed (it may have run).
 */
async function workload(
  name: string,
  client: Client,
  onDeadShard: (key: string) => boolean,
  killedAt: () => number,
  done: () => boolean,
  onRecovered: () => void,
): Promise<RunFigures> {
  let recoveredAt = Number.POSITIVE_INFINITY;
  let slowest = 0;
  let wrong = 0;
  let failed = 0;
  /** Per key, the values of SETs that failed: each may still have run, and a later GET may see it. */
  const mayHaveRun = new Map<number, Set<string>>();
  const lane = async (first: number): Promise<void> => {
    for (let round = 0; !done(); round++) {
      for (let index = first; index < KEYS && !done(); index += LANES) {
        const key = `bench:failover:${name}:${index}`;
        const value = `${round}`;
        const started = performance.now();
        let ok = false;
        // Each call is timed on its own: each has its own deadline.
        const timed = async <T>(call: () => Promise<T>): Promise<T> => {
          const callStarted = performance.now();
          try {
            return await call();
          } finally {
            slowest = Math.max(slowest, performance.now() - callStarted);
          }
        };
        const uncertain = mayHaveRun.get(index) ?? new Set<string>();
        mayHaveRun.set(index, uncertain);
        let acknowledged = false;
        try {
          await timed(() => client.set(key, value));
          acknowledged = true;
          const read = String(await timed(() => client.get(key)));
          ok = true;
          if (read !== value && !uncertain.has(read)) wrong++;
        } catch {
          failed++;
          if (!acknowledged) uncertain.add(value);
        }
        const ended = performance.now();
        if (ok && started >= killedAt() && onDeadShard(key) && !Number.isFinite(recoveredAt)) {
          recoveredAt = ended;
          onRecovered();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, first) => lane(first)));
  return { recoveryMs: recoveredAt - killedAt(), overDeadlineMs: slowest - DEADLINE_MS, wrong, failed };
}

async function oneRun(): Promise<Record<SetupName, RunFigures>> {
  const cluster = await startRedisCluster(1000);
  try {
    const clients = await openClients(cluster.nodes);
    try {
      for (const client of Object.values(clients)) await client.set('bench:failover:warm-up', '1');
      const owners = await cluster.slotOwners();
      const victim = owners.get(0) as number;
      const onDeadShard = (key: string) => owners.get(slotOf(key)) === victim;
      let killedAt = Number.POSITIVE_INFINITY;
      let stopAt = Number.POSITIVE_INFINITY;
      const names = Object.keys(clients) as SetupName[];
      let recovered = 0;
      // A second after the last setup has served the dead slots again, the run ends.
      const onRecovered = () => {
        if (++recovered === names.length) stopAt = performance.now() + 1000;
      };
      const done = () => performance.now() >= stopAt;
      const runs = names.map(async (name) => [name, await workload(name.replaceAll(' ', '-'), clients[name], onDeadShard, () => killedAt, done, onRecovered)] as const);
      await new Promise((resolve) => setTimeout(resolve, BEFORE_KILL_MS));
      await cluster.kill(victim);
      killedAt = performance.now();
      stopAt = Math.min(stopAt, killedAt + RECOVERY_CAP_MS);
      const results = Object.fromEntries(await Promise.all(runs)) as Record<SetupName, RunFigures>;
      return results;
    } finally {
      await Promise.all(Object.values(clients).map((client) => client.close().catch(() => undefined)));
    }
  } finally {
    await cluster.close();
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'never');

export async function benchFailoverRecovery(runCount: number): Promise<CaseResult[]> {
  const runs: Array<Record<SetupName, RunFigures>> = [];
  for (let run = 0; run < runCount; run++) runs.push(await oneRun());
  const figures = (name: SetupName) => runs.map((run) => run[name]);
  const rows: CaseResult[] = [];
  for (const [raw, sdk] of PAIRS) {
    const rawRecovery = median(figures(raw).map((entry) => entry.recoveryMs));
    const sdkRecovery = median(figures(sdk).map((entry) => entry.recoveryMs));
    rows.push(
      { name: `failover recovery, ${raw} (median of ${runCount}: ${figures(raw).map((entry) => ms(entry.recoveryMs)).join(', ')})`, ops: 0, goal: `baseline for the row below (is ${ms(rawRecovery)})`, pass: undefined },
      {
        name: `failover recovery, ${sdk} (median of ${runCount}: ${figures(sdk).map((entry) => ms(entry.recoveryMs)).join(', ')})`,
        ops: 0,
        goal: `≤ raw + ${RECOVERY_ALLOWANCE_MS} ms (is ${ms(sdkRecovery)} vs ${ms(rawRecovery)})`,
        // A raw driver that never recovered leaves nothing to compare with: the run proves nothing.
        pass: Number.isFinite(rawRecovery) && sdkRecovery <= rawRecovery + RECOVERY_ALLOWANCE_MS,
        timed: true,
      },
    );
    const overDeadline = Math.max(...figures(sdk).map((entry) => entry.overDeadlineMs));
    const wrong = figures(sdk).reduce((sum, entry) => sum + entry.wrong, 0);
    rows.push({
      name: `failover calls, ${sdk} (${figures(sdk).map((entry) => entry.failed).join('/')} failed vs ${figures(raw).map((entry) => entry.failed).join('/')} raw)`,
      ops: 0,
      goal: `no call past its deadline + ${SLACK_MS} ms, no wrong value (is ${Math.round(overDeadline)} ms past, ${wrong} wrong)`,
      pass: overDeadline <= SLACK_MS && wrong === 0,
    });
  }
  return rows;
}
