import { slotOf } from '@ferrite/core';
import { redisServerMissing, startRedisCluster, type RedisCluster } from '@ferrite/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_TIMEOUT_MS, closeSetups, DEADLINE_SLACK_MS, openSetups, rawLabelOf, runWorkload, slowestCall, warmUp, workloadKeys, type Call, type Setups } from './cluster-workload.js';

/**
 * A primary added and a primary removed on a real Redis Cluster while the workload runs through
 * each raw driver and the SDK over it: slots move with `redis-cli --cluster reshard` (clients meet
 * `ASK` and `MOVED`), nodes join with `add-node` and leave with `del-node`. A clean reshard fails
 * no call; the SDK fails no more than its driver, settles every call by its deadline, and never
 * returns a wrong value.
 */

/** Slots moved each way: enough that every setup has keys on them (about 1 in 16 of its keys). */
const SLOTS_MOVED = 1000;
/** How long the workload runs before the cluster changes, and after. */
const SETTLE_MS = 500;

const skip = redisServerMissing();

/** Runs the workload through every setup while `change` runs, and `SETTLE_MS` before and after it. */
async function underLoad(setups: Setups, prefix: string, change: () => Promise<void>): Promise<Record<string, Call[]>> {
  let done = false;
  const runs = Object.entries(setups).map(async ([label, ops]) => [label, await runWorkload(workloadKeys(`${prefix}:${label}`), ops, () => false, () => done)] as const);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await change();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  done = true;
  return Object.fromEntries(await Promise.all(runs));
}

/** Judges each SDK setup against its raw driver; `moved` tells which keys' slots changed node. */
function judge(results: Record<string, Call[]>, moved: (key: string) => boolean, prefix: string): void {
  const report = Object.entries(results).map(([label, calls]) => {
    const keys = new Set(workloadKeys(`${prefix}:${label}`).filter((key) => moved(key) || moved(`${key}:n`)));
    const failures = calls.filter((call) => !call.ok);
    return {
      label,
      calls: calls.length,
      keysMoved: keys.size,
      failed: failures.length,
      wrong: calls.filter((call) => call.wrong).length,
      slowest: Math.round(slowestCall(calls)),
      firstError: failures[0]?.error ?? '',
    };
  });
  console.table(report);
  const row = (label: string) => report.find((entry) => entry.label === label) as (typeof report)[number];
  // A raw call's deadline is a timer of the same length: its overshoot is the loop's lateness, not ours.
  const timerLag = Math.max(0, ...report.filter((entry) => entry.label.startsWith('raw')).map((entry) => entry.slowest - CALL_TIMEOUT_MS));
  for (const entry of report) {
    expect(entry.keysMoved, `${entry.label}: keys on the slots moved`).toBeGreaterThan(0);
    expect(entry.wrong, `${entry.label}: wrong values`).toBe(0);
  }
  for (const sdk of report.filter((entry) => entry.label.startsWith('SDK'))) {
    const raw = row(rawLabelOf(sdk.label));
    // 2 calls of slack, as in failover.test.ts: a loaded machine makes any call miss its 1 s deadline now and then.
    expect(sdk.failed, `${sdk.label}: failed calls (${sdk.firstError}) against ${raw.failed} through ${raw.label}`).toBeLessThanOrEqual(raw.failed + 2);
    expect(sdk.slowest, `${sdk.label}: no call past its deadline + ${DEADLINE_SLACK_MS} ms (timers ${Math.round(timerLag)} ms late)`).toBeLessThanOrEqual(CALL_TIMEOUT_MS + DEADLINE_SLACK_MS + timerLag);
  }
}

/** The slots whose primary differs between two readings of the slot map. */
function movedBetween(before: Map<number, number>, after: Map<number, number>): Set<number> {
  return new Set([...after].filter(([slot, port]) => before.get(slot) !== port).map(([slot]) => slot));
}

/** The primary serving the most slots (resharding takes its lowest ones). */
function busiest(owners: Map<number, number>): number {
  const counts = new Map<number, number>();
  for (const port of owners.values()) counts.set(port, (counts.get(port) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] as number;
}

describe.skipIf(Boolean(skip))('a primary added and a primary removed on a real 6-node Redis Cluster, under load', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1, { nodeTimeoutMs: 1000 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a new primary joins and takes slots while the workload runs: no failure beyond the raw driver, no late call, no wrong value', async () => {
    const setups = await openSetups(cluster.nodes);
    await warmUp(setups);
    const before = await cluster.slotOwners();
    const from = busiest(before);
    let added = 0;
    const results = await underLoad(setups, 'added', async () => {
      added = (await cluster.addPrimary()).port;
      await cluster.reshard(from, added, SLOTS_MOVED);
    });
    await closeSetups(setups);
    const moved = movedBetween(before, await cluster.slotOwners());
    expect(moved.size).toBe(SLOTS_MOVED);
    expect([...moved].every((slot) => before.get(slot) === from)).toBe(true);
    judge(results, (key) => moved.has(slotOf(key)), 'added');
  }, 120_000);

  it('a primary gives all its slots away and leaves (del-node, stopped) while the workload runs: no failure beyond the raw driver, no late call, no wrong value', async () => {
    // The primary that leaves joins first, with slots of its own, before the workload starts.
    const leaving = (await cluster.addPrimary()).port;
    const heir = busiest(await cluster.slotOwners());
    await cluster.reshard(heir, leaving, SLOTS_MOVED);
    const setups = await openSetups(cluster.nodes);
    await warmUp(setups);
    const before = await cluster.slotOwners();
    const results = await underLoad(setups, 'removed', async () => {
      await cluster.reshard(leaving, heir, SLOTS_MOVED);
      await cluster.removePrimary(leaving);
    });
    await closeSetups(setups);
    const after = await cluster.slotOwners();
    const moved = movedBetween(before, after);
    expect(moved.size).toBe(SLOTS_MOVED);
    expect([...after.values()].includes(leaving)).toBe(false);
    expect(cluster.nodes.some((node) => node.port === leaving)).toBe(false);
    judge(results, (key) => moved.has(slotOf(key)), 'removed');
  }, 120_000);
});
