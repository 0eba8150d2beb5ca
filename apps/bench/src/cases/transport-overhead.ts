/**
 * Case 4: what the SDK adds to a plain `GET` of a small key: `ferrite.send('GET', key)` against
 * the driver's own `get`, on the same client and connection. The two are run in alternating rounds
 * so that warm-up, GC and the machine's other load fall on both alike.
 */
import { createFerrite } from '@ferrite/core';
import type { CaseResult } from '../measure.js';
import { measureLatency } from '../measure.js';
import type { TransportName } from '../transports.js';
import { connect } from '../transports.js';

export const MAX_OVERHEAD_RATIO = 1.5;
const ROUNDS = 5;
const KEY = 'bench:small';
const VALUE = 'a small value';

interface Totals {
  ops: number;
  totalMs: number;
}

export async function benchTransportOverhead(name: Exclude<TransportName, 'memory'>, url: string, callsPerRound: number): Promise<CaseResult[]> {
  const connection = await connect(name, url);
  const rawGet = connection.rawGet;
  if (rawGet === undefined) throw new Error(`no raw driver for ${name}`);
  const ferrite = createFerrite({ transport: connection.transport });
  try {
    await ferrite.send('SET', KEY, VALUE);
    const viaSdk: Totals = { ops: 0, totalMs: 0 };
    const viaDriver: Totals = { ops: 0, totalMs: 0 };
    const record = async (totals: Totals, get: () => Promise<unknown>) => {
      const summary = await measureLatency(callsPerRound, 50, async () => {
        if ((await get()) !== VALUE) throw new Error(`GET over ${name} returned an unexpected value`);
      });
      totals.ops += summary.ops;
      totals.totalMs += summary.totalMs;
      return summary;
    };
    const p50s = { sdk: [] as number[], driver: [] as number[] };
    const p99s = { sdk: [] as number[], driver: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const driver = await record(viaDriver, () => rawGet(KEY));
      const sdk = await record(viaSdk, () => ferrite.send('GET', KEY));
      p50s.driver.push(driver.p50Ms);
      p99s.driver.push(driver.p99Ms);
      p50s.sdk.push(sdk.p50Ms);
      p99s.sdk.push(sdk.p99Ms);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const driverMsPerOp = viaDriver.totalMs / viaDriver.ops;
    const sdkMsPerOp = viaSdk.totalMs / viaSdk.ops;
    const ratio = sdkMsPerOp / driverMsPerOp;
    return [
      {
        name: `GET small key, raw ${name}`,
        ops: viaDriver.ops,
        opsPerSecond: 1000 / driverMsPerOp,
        p50Ms: median(p50s.driver),
        p99Ms: median(p99s.driver),
        goal: 'baseline for the row below',
        pass: undefined,
      },
      {
        name: `GET small key, ferrite.send (${name})`,
        ops: viaSdk.ops,
        opsPerSecond: 1000 / sdkMsPerOp,
        p50Ms: median(p50s.sdk),
        p99Ms: median(p99s.sdk),
        goal: `≤ ${MAX_OVERHEAD_RATIO}× raw time per op (is ${ratio.toFixed(2)}×)`,
        pass: ratio <= MAX_OVERHEAD_RATIO,
        timed: true,
      },
    ];
  } finally {
    await ferrite.send('DEL', KEY).catch(() => undefined);
    await ferrite.close();
  }
}
