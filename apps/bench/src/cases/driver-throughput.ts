/**
 * Case: `ferrite.send('GET', key)` against the raw driver on the same connection of a real
 * redis-server (raw ioredis `call`, raw node-redis `sendCommand`, raw GLIDE `customCommand`), one call at a time and with 64
 * calls in flight. Raw and SDK blocks of calls alternate within each round, so warm-up, GC and the
 * machine's other load fall on both alike; the figure judged is the ratio of their throughputs,
 * measured side by side.
 */
import { createFerrite, type FerriteClient, type Reply, type Transport, type WireCommand } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClient, Logger, type GlideClientConfiguration } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { CaseResult } from '../measure.js';

/** The SDK's throughput must reach this share of the raw driver's. */
export const MIN_THROUGHPUT_RATIO = 0.95;
export const IN_FLIGHT = 64;
/** Odd, so the median is one round's ratio. */
const ROUNDS = 11;
const KEY = 'bench:throughput';
const VALUE = 'a small value';

type Get = () => Promise<unknown>;

interface Pair {
  readonly raw: Get;
  readonly sdk: Get;
  /**
   * The raw driver tuned the way the transport uses it, for a second, unjudged comparison: ioredis
   * with `enableAutoPipelining` (one write per turn of the event loop), node-redis without its
   * per-command timeout.
   */
  readonly tuned: Get;
  readonly tunedLabel: string;
  /**
   * `ferrite.send` over a transport that does nothing but hand the command to the same driver
   * call as the raw side, for a third, unjudged comparison: what core's call path alone costs
   * against the raw driver, so that the transport's share of the judged ratio can be read off.
   */
  readonly coreOnly?: Get;
  close(): Promise<void>;
}

/** The drivers compared with the SDK over them. */
export type ThroughputDriver = 'ioredis' | 'node-redis' | 'valkey-glide';

/**
 * Only for the core-only row: GLIDE's promise handed to core as it is, with no normalisation,
 * error translation or close tracking, which this case's `GET` of a text value does not need.
 * Not a transport to use.
 */
function passThroughTransport(client: GlideClient): Transport {
  const refuse = (): Promise<never> => Promise.reject(new Error('not part of this measurement'));
  return {
    name: 'pass-through (bench)',
    protocol: 3,
    send: (command: WireCommand) => client.customCommand([command.name, ...command.args]) as Promise<Reply>,
    batch: refuse,
    dedicated: refuse,
    close: () => Promise.resolve(),
  };
}

async function openGlide(url: string): Promise<Pair> {
  Logger.init('error');
  const { hostname, port } = new URL(url);
  const configuration: GlideClientConfiguration = { addresses: [{ host: hostname, port: Number(port) }], requestTimeout: 30_000 };
  const client = await GlideClient.createClient(configuration);
  const ferrite: FerriteClient = createFerrite({ transport: glideTransport(client, { configuration, closeClient: true }) });
  const coreOnly: FerriteClient = createFerrite({ transport: passThroughTransport(client) });
  return {
    raw: () => client.customCommand(['GET', KEY]),
    sdk: () => ferrite.send('GET', KEY),
    tuned: () => client.get(KEY),
    tunedLabel: 'valkey-glide get()',
    coreOnly: () => coreOnly.send('GET', KEY),
    close: async () => {
      await coreOnly.close();
      await ferrite.close();
    },
  };
}

async function open(driver: ThroughputDriver, url: string): Promise<Pair> {
  if (driver === 'valkey-glide') return openGlide(url);
  if (driver === 'ioredis') {
    // Configured as the transport needs, so the transport uses this very connection.
    const client = new Redis(url, { lazyConnect: true, stringNumbers: true, replyMapping: 'resp3', autoResendUnfulfilledCommands: false });
    await client.connect();
    const pipelining = new Redis(url, { lazyConnect: true, enableAutoPipelining: true });
    await pipelining.connect();
    const ferrite: FerriteClient = createFerrite({ transport: ioredisTransport(client, { closeClient: true }) });
    return {
      raw: () => client.call('GET', KEY),
      sdk: () => ferrite.send('GET', KEY),
      tuned: () => pipelining.get(KEY),
      tunedLabel: 'ioredis with enableAutoPipelining, get()',
      close: async () => {
        pipelining.disconnect();
        await ferrite.close();
      },
    };
  }
  const client = createClient({ url });
  await client.connect();
  const ferrite: FerriteClient = createFerrite({ transport: nodeRedisTransport(client, { closeClient: true }) });
  return {
    raw: () => client.sendCommand(['GET', KEY]),
    sdk: () => ferrite.send('GET', KEY),
    tuned: () => client.sendCommand(['GET', KEY], { timeout: undefined }),
    tunedLabel: 'node-redis sendCommand without its per-command timeout',
    close: () => ferrite.close(),
  };
}

/** Runs `calls` GETs, `inFlight` at a time, and returns the elapsed milliseconds. */
async function timed(get: Get, calls: number, inFlight: number): Promise<number> {
  const started = performance.now();
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < calls) {
      issued++;
      const value = await get();
      if (String(value) !== VALUE) throw new Error(`GET returned ${String(value)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return performance.now() - started;
}

export interface ThroughputRatio {
  readonly rawOpsPerSecond: number;
  readonly sdkOpsPerSecond: number;
  readonly ratio: number;
}

/**
 * Calls per block: a round alternates raw and SDK blocks of this many calls, so that a change in
 * the machine's other load within a round falls on both sides alike, not on whichever ran second.
 * Sequential blocks are short (a few milliseconds); with calls in flight a block must be long
 * enough that ramping up and draining the 64 workers is a small part of it.
 */
function blockSize(inFlight: number): number {
  return inFlight === 1 ? 250 : 4000;
}

/**
 * The throughput of raw and SDK calls over alternating rounds, and their ratio: the median of the
 * rounds' ratios, so that one round disturbed by the machine's other load does not decide it.
 * Within a round, raw and SDK blocks alternate (which side goes first alternates too).
 */
export async function measureRatio(pair: Pick<Pair, 'raw' | 'sdk'>, callsPerRound: number, inFlight: number): Promise<ThroughputRatio> {
  await timed(pair.raw, Math.min(callsPerRound, 2000), inFlight);
  await timed(pair.sdk, Math.min(callsPerRound, 2000), inFlight);
  const block = Math.min(callsPerRound, blockSize(inFlight));
  let rawMs = 0;
  let sdkMs = 0;
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let raw = 0;
    let sdk = 0;
    for (let done = 0, turn = round; done < callsPerRound; done += block, turn++) {
      const calls = Math.min(block, callsPerRound - done);
      // Alternate which goes first: a block's position must not favour one side.
      if (turn % 2 === 0) {
        raw += await timed(pair.raw, calls, inFlight);
        sdk += await timed(pair.sdk, calls, inFlight);
      } else {
        sdk += await timed(pair.sdk, calls, inFlight);
        raw += await timed(pair.raw, calls, inFlight);
      }
    }
    rawMs += raw;
    sdkMs += sdk;
    ratios.push(raw / sdk);
  }
  ratios.sort((a, b) => a - b);
  const calls = callsPerRound * ROUNDS;
  return { rawOpsPerSecond: (calls * 1000) / rawMs, sdkOpsPerSecond: (calls * 1000) / sdkMs, ratio: ratios[(ROUNDS - 1) / 2] as number };
}

export async function benchDriverThroughput(driver: ThroughputDriver, url: string, callsPerRound: number): Promise<CaseResult[]> {
  const pair = await open(driver, url);
  try {
    await pair.raw().then(() => undefined);
    const setup = createClient({ url });
    await setup.connect();
    await setup.set(KEY, VALUE);
    await setup.close();
    const rows: CaseResult[] = [];
    for (const inFlight of [1, IN_FLIGHT]) {
      const measured = await measureRatio(pair, inFlight === 1 ? Math.round(callsPerRound / 4) : callsPerRound, inFlight);
      const label = inFlight === 1 ? 'sequential' : `${inFlight} in flight`;
      rows.push(
        { name: `GET ${label}, raw ${driver} (redis-server)`, ops: 0, opsPerSecond: measured.rawOpsPerSecond, goal: 'baseline for the row below', pass: undefined },
        {
          name: `GET ${label}, ferrite.send (${driver}, redis-server)`,
          ops: 0,
          opsPerSecond: measured.sdkOpsPerSecond,
          goal: `≥ ${MIN_THROUGHPUT_RATIO} of raw throughput (is ${measured.ratio.toFixed(3)})`,
          pass: measured.ratio >= MIN_THROUGHPUT_RATIO,
          timed: true,
        },
      );
    }
    // Unjudged: the SDK against the driver at its own fastest, so the ratio above is not read as
    // overhead-free (the SDK wins it by writing and timing commands differently, see the README).
    const tuned = await measureRatio({ raw: pair.tuned, sdk: pair.sdk }, callsPerRound, IN_FLIGHT);
    rows.push(
      { name: `GET ${IN_FLIGHT} in flight, raw ${pair.tunedLabel} (redis-server)`, ops: 0, opsPerSecond: tuned.rawOpsPerSecond, goal: 'baseline for the row below', pass: undefined },
      {
        name: `GET ${IN_FLIGHT} in flight, ferrite.send (${driver}) against the tuned driver`,
        ops: 0,
        opsPerSecond: tuned.sdkOpsPerSecond,
        goal: `shown, not judged (is ${tuned.ratio.toFixed(3)} of the tuned driver)`,
        pass: undefined,
      },
    );
    if (pair.coreOnly !== undefined) {
      const core = await measureRatio({ raw: pair.raw, sdk: pair.coreOnly }, callsPerRound, IN_FLIGHT);
      rows.push(
        { name: `GET ${IN_FLIGHT} in flight, raw ${driver} (redis-server), for the row below`, ops: 0, opsPerSecond: core.rawOpsPerSecond, goal: 'baseline for the row below', pass: undefined },
        {
          name: `GET ${IN_FLIGHT} in flight, ferrite.send over a pass-through transport (${driver}): core's share`,
          ops: 0,
          opsPerSecond: core.sdkOpsPerSecond,
          goal: `shown, not judged (is ${core.ratio.toFixed(3)} of raw)`,
          pass: undefined,
        },
      );
    }
    return rows;
  } finally {
    await pair.close();
  }
}
