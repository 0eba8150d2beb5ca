import { createFerrite } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClusterClient, type GlideClusterClientConfiguration } from '@valkey/valkey-glide';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';

/**
 * The workload the real-cluster tests run through each setup side by side (raw driver and the SDK
 * over it) while the cluster changes under it: a primary killed, a slot moved, a primary added or
 * removed.
 */

/** The deadline of every call of the workload, through the SDK (its `timeout`) and around the raw drivers. */
export const CALL_TIMEOUT_MS = 1000;
/**
 * How long a driver may keep a request its caller gave up on, and still apply it: GLIDE's own
 * `requestTimeout` here. A SET that failed may land that long after, even after later SETs of the
 * same key were acknowledged (GLIDE sends it again once it has found the new primary).
 */
const ABANDONED_REQUEST_LIFETIME_MS = 5 * CALL_TIMEOUT_MS;
/** How late a call may settle after its deadline (issue 21). */
export const DEADLINE_SLACK_MS = 250;
const KEYS = 200;
const LANES = 8;

/** One call of the workload, as its setup saw it. */
export interface Call {
  readonly startedAt: number;
  readonly endedAt: number;
  /** Its key was on the part of the cluster the test disturbed (the killed shard, the slots moved). */
  readonly disturbed: boolean;
  readonly ok: boolean;
  readonly wrong: boolean;
  /** The failure's message, for the report. */
  readonly error?: string;
}

/** The three commands of the workload, as one setup sends them. */
export interface Operations {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  incr(key: string): Promise<unknown>;
  close(): Promise<void>;
}

/** A raw driver and the SDK over the same driver: what each comparison puts side by side. */
export type Setups = Record<string, Operations>;

/** The raw driver's label that an SDK setup is judged against (`SDK over ioredis` → `raw ioredis`). */
export function rawLabelOf(sdkLabel: string): string {
  return sdkLabel.replace(/^SDK over /, 'raw ');
}

function withDeadline<T>(work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('deadline')), CALL_TIMEOUT_MS);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

/** The keys of one setup's workload (`hashTag` puts them all in one slot). */
export function workloadKeys(label: string, hashTag = ''): string[] {
  return Array.from({ length: KEYS }, (_, i) => `${hashTag}workload:${label.replaceAll(' ', '-')}:${i}`);
}

/**
 * SET/GET/INCR in turn over the setup's keys, `LANES` calls at a time, until `until()`: each call
 * records when it ran, whether its key was `disturbed`, and whether it succeeded with the value
 * expected (GET returns the last SET acknowledged, or a later one that failed and may have run;
 * INCR never counts an increment twice).
 */
export async function runWorkload(
  keys: readonly string[],
  ops: Operations,
  disturbed: (key: string) => boolean,
  until: () => boolean,
  /** Told of each call as it settles, for a test that waits on what the calls show. */
  onCall: (call: Call) => void = () => {},
): Promise<Call[]> {
  const calls: Call[] = [];
  // `maybe`: the values of failed SETs, each with when it failed (see ABANDONED_REQUEST_LIFETIME_MS).
  const state = keys.map(() => ({ value: '', maybe: new Map<string, number>(), counted: 0, uncertain: 0 }));
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let round = 0; !until(); round++) {
        for (let index = lane; index < keys.length && !until(); index += LANES) {
          const key = keys[index] as string;
          const known = state[index] as (typeof state)[number];
          const step = round % 3;
          const startedAt = performance.now();
          let ok = false;
          let wrong = false;
          let error: string | undefined;
          try {
            if (step === 0) {
              const value = `${round}`;
              known.maybe.set(value, Number.POSITIVE_INFINITY);
              try {
                await ops.set(key, value);
              } catch (failure) {
                known.maybe.set(value, performance.now());
                throw failure;
              }
              known.value = value;
              known.maybe.delete(value);
              for (const [earlier, failedAt] of known.maybe) if (performance.now() - failedAt > ABANDONED_REQUEST_LIFETIME_MS) known.maybe.delete(earlier);
              ok = true;
            } else if (step === 1) {
              const value = String(await ops.get(key));
              ok = true;
              wrong = known.value !== '' && value !== known.value && !known.maybe.has(value);
              if (wrong) error = `GET returned ${value}, last acknowledged ${known.value}`;
            } else {
              const value = Number(await ops.incr(`${key}:n`));
              ok = true;
              known.counted++;
              // Never more than every increment sent: none was applied twice.
              wrong = value > known.counted + known.uncertain;
              if (wrong) error = `INCR returned ${value}, more than the ${known.counted} acknowledged + ${known.uncertain} failed`;
            }
          } catch (failure) {
            error = failure instanceof Error ? failure.message : String(failure);
            if (step === 2) known.uncertain++;
          }
          const call: Call = { startedAt, endedAt: performance.now(), disturbed: disturbed(step === 2 ? `${key}:n` : key), ok, wrong, error };
          calls.push(call);
          onCall(call);
          // A driver can fail calls without ever leaving the microtask queue (node-redis rejects at
          // once on a closed node connection its slot map still names): a lane that went straight
          // on would starve the event loop, and with it the timers and sockets that end the
          // failure and the run. An application's retry loop would pause too.
          if (!ok) await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }),
  );
  return calls;
}

/**
 * When the disturbed keys were served again: the start of the first success on them among the
 * calls started after `since` (`Infinity` if none). A later failure does not move it (a loaded
 * machine can make any call miss its deadline); {@link failuresFrom} judges what follows.
 */
export function recoveredAt(calls: readonly Call[], since: number): number {
  let first = Number.POSITIVE_INFINITY;
  for (const call of calls) if (call.disturbed && call.ok && call.startedAt >= since) first = Math.min(first, call.startedAt);
  return first - since;
}

/** How many calls on the disturbed keys, started at `from` or later, failed. */
export function failuresFrom(calls: readonly Call[], from: number): number {
  return calls.filter((call) => call.disturbed && !call.ok && call.startedAt >= from).length;
}

/** The longest a call took (a loop: a fast run makes more calls than a spread may pass as arguments). */
export function slowestCall(calls: readonly Call[]): number {
  return calls.reduce((slowest, call) => Math.max(slowest, call.endedAt - call.startedAt), 0);
}

/**
 * Sends each command of the workload once through every setup, until it is served (within
 * `timeoutMs`): a client that just connected has then read the slot map and learned how to route
 * the three commands, so the workload that follows measures the cluster change, not start-up.
 */
export async function warmUp(setups: Setups, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  await Promise.all(
    Object.entries(setups).map(async ([label, ops]) => {
      const key = `warm-up:${label.replaceAll(' ', '-')}`;
      for (const call of [() => ops.set(key, '1'), () => ops.get(key), () => ops.incr(`${key}:n`)]) {
        for (;;) {
          try {
            await call();
            break;
          } catch (error) {
            if (performance.now() > deadline) throw new Error(`${label} served no call within ${timeoutMs} ms`, { cause: error });
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      }
    }),
  );
}

export interface SetupOptions {
  /** Also raw GLIDE `GlideClusterClient` and the SDK over it. */
  readonly glide?: boolean;
}

/** Raw ioredis `Cluster`, raw node-redis `createCluster` and the SDK over each (and GLIDE when asked), seeded with `nodes`. */
export async function openSetups(nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>, options: SetupOptions = {}): Promise<Setups> {
  const seeds = nodes.map(({ host, port }) => ({ host, port }));
  const rootNodes = seeds.map(({ host, port }) => ({ url: `redis://${host}:${port}` }));
  const rawIoredis = new Cluster(seeds);
  rawIoredis.on('error', () => {});
  const rawNodeRedis = createCluster({ rootNodes });
  rawNodeRedis.on('error', () => {});
  await rawNodeRedis.connect();
  const sdkIoredisClient = new Cluster(seeds);
  sdkIoredisClient.on('error', () => {});
  const sdkIoredis = createFerrite({ transport: ioredisTransport(sdkIoredisClient, { closeClient: true }), timeout: CALL_TIMEOUT_MS });
  const sdkNodeRedisClient = createCluster({ rootNodes });
  sdkNodeRedisClient.on('error', () => {});
  await sdkNodeRedisClient.connect();
  const sdkNodeRedis = createFerrite({ transport: nodeRedisTransport(sdkNodeRedisClient, { closeClient: true }), timeout: CALL_TIMEOUT_MS });

  const setups: Setups = {
    'raw ioredis': {
      set: (key, value) => withDeadline(rawIoredis.set(key, value)),
      get: (key) => withDeadline(rawIoredis.get(key)),
      incr: (key) => withDeadline(rawIoredis.incr(key)),
      close: async () => void (await rawIoredis.quit().catch(() => rawIoredis.disconnect())),
    },
    'raw node-redis': {
      set: (key, value) => withDeadline(rawNodeRedis.set(key, value)),
      get: (key) => withDeadline(rawNodeRedis.get(key)),
      incr: (key) => withDeadline(rawNodeRedis.incr(key)),
      close: async () => rawNodeRedis.destroy(),
    },
    'SDK over ioredis': {
      set: (key, value) => sdkIoredis.send('SET', key, value),
      get: (key) => sdkIoredis.send('GET', key),
      incr: (key) => sdkIoredis.send('INCR', key),
      close: () => sdkIoredis.close(),
    },
    'SDK over node-redis': {
      set: (key, value) => sdkNodeRedis.send('SET', key, value),
      get: (key) => sdkNodeRedis.send('GET', key),
      incr: (key) => sdkNodeRedis.send('INCR', key),
      close: () => sdkNodeRedis.close(),
    },
  };
  if (options.glide) {
    // GLIDE's own deadline is longer than the workload's: the one judged is the workload's (the
    // SDK's `timeout`, the wrapper around the raw client), as the package's README advises.
    const configuration: GlideClusterClientConfiguration = { addresses: seeds, requestTimeout: ABANDONED_REQUEST_LIFETIME_MS };
    const rawGlide = await GlideClusterClient.createClient(configuration);
    const sdkGlide = createFerrite({ transport: glideTransport(await GlideClusterClient.createClient(configuration), { configuration, closeClient: true }), timeout: CALL_TIMEOUT_MS });
    setups['raw valkey-glide'] = {
      set: (key, value) => withDeadline(rawGlide.set(key, value)),
      get: (key) => withDeadline(rawGlide.get(key)),
      incr: (key) => withDeadline(rawGlide.incr(key)),
      close: async () => rawGlide.close(),
    };
    setups['SDK over valkey-glide'] = {
      set: (key, value) => sdkGlide.send('SET', key, value),
      get: (key) => sdkGlide.send('GET', key),
      incr: (key) => sdkGlide.send('INCR', key),
      close: () => sdkGlide.close(),
    };
  }
  return setups;
}

/** Closes every setup, whatever state the cluster is in. */
export async function closeSetups(setups: Setups): Promise<void> {
  for (const ops of Object.values(setups)) await ops.close();
}
