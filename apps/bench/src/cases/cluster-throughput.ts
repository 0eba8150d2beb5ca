/**
 * Case: `ferrite.send('GET', key)` over a cluster against the driver's own cluster client (raw
 * ioredis `Cluster.get`, raw node-redis `createCluster().get`) on the same cluster, with keys on
 * every primary, 64 calls in flight. Raw and SDK rounds alternate (see `measureRatio`); the figure
 * judged is the ratio of their throughputs.
 */
import { createFerrite, type FerriteClient } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import type { CaseResult } from '../measure.js';
import { IN_FLIGHT, measureRatio, MIN_THROUGHPUT_RATIO } from './driver-throughput.js';

const VALUE = 'a small value';
/** Spread over the slots, so every primary serves some. */
const KEYS = Array.from({ length: 64 }, (_, i) => `bench:cluster:${i}`);

interface ClusterPair {
  readonly raw: () => Promise<unknown>;
  readonly sdk: () => Promise<unknown>;
  close(): Promise<void>;
}

/** A `get` over the keys in turn. */
function rotating(get: (key: string) => Promise<unknown>): () => Promise<unknown> {
  let next = 0;
  return () => get(KEYS[next++ % KEYS.length] as string);
}

async function open(driver: 'ioredis' | 'node-redis', url: string): Promise<ClusterPair> {
  const { hostname: host, port } = new URL(url);
  if (driver === 'ioredis') {
    const raw = new Cluster([{ host, port: Number(port) }]);
    const sdkClient = new Cluster([{ host, port: Number(port) }]);
    const ferrite: FerriteClient = createFerrite({ transport: ioredisTransport(sdkClient, { closeClient: true }) });
    for (const key of KEYS) await raw.set(key, VALUE);
    return {
      raw: rotating((key) => raw.get(key)),
      sdk: rotating((key) => ferrite.send('GET', key)),
      close: async () => {
        raw.disconnect();
        await ferrite.close();
      },
    };
  }
  const raw = createCluster({ rootNodes: [{ url }] });
  await raw.connect();
  const sdkClient = createCluster({ rootNodes: [{ url }] });
  await sdkClient.connect();
  const ferrite: FerriteClient = createFerrite({ transport: nodeRedisTransport(sdkClient, { closeClient: true }) });
  for (const key of KEYS) await raw.set(key, VALUE);
  return {
    raw: rotating((key) => raw.get(key)),
    sdk: rotating((key) => ferrite.send('GET', key)),
    close: async () => {
      raw.destroy();
      await ferrite.close();
    },
  };
}

export async function benchClusterThroughput(driver: 'ioredis' | 'node-redis', url: string, callsPerRound: number): Promise<CaseResult[]> {
  const pair = await open(driver, url);
  try {
    const measured = await measureRatio(pair, callsPerRound, IN_FLIGHT);
    return [
      { name: `GET ${IN_FLIGHT} in flight, raw ${driver} cluster client (emulator cluster)`, ops: 0, opsPerSecond: measured.rawOpsPerSecond, goal: 'baseline for the row below', pass: undefined },
      {
        name: `GET ${IN_FLIGHT} in flight, ferrite.send (${driver} cluster, emulator cluster)`,
        ops: 0,
        opsPerSecond: measured.sdkOpsPerSecond,
        goal: `≥ ${MIN_THROUGHPUT_RATIO} of the driver's own cluster client (is ${measured.ratio.toFixed(3)})`,
        pass: measured.ratio >= MIN_THROUGHPUT_RATIO,
        timed: true,
      },
    ];
  } finally {
    await pair.close();
  }
}
