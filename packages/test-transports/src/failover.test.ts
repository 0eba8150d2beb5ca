import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { slotOf } from '@ferrite/core';
import { freePort, redisServerMissing, startRedisCluster, type RedisCluster } from '@ferrite/testkit';
import { Redis } from 'ioredis';
import { startEmulatorCluster } from '@ferrite/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_TIMEOUT_MS, closeSetups, DEADLINE_SLACK_MS, failuresFrom, openSetups, rawLabelOf, recoveredAt, runWorkload, slowestCall, workloadKeys, type Call, type SetupOptions } from './cluster-workload.js';

const skip = redisServerMissing();

/** How long the workload runs before the kill. */
const BEFORE_KILL_MS = 1500;
/** How long it runs once every setup serves the dead shard's slots again, to see what follows. */
const AFTER_RECOVERY_MS = 2000;
/** The longest it runs after the kill, whether or not every setup recovers. */
const AFTER_KILL_CAP_MS = 20_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running cluster of 3 primaries with a replica each, as the failover tests use it. */
interface FailoverCluster {
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Kills the node on `port` as `kill -9` does; its replica takes over after the node timeout. */
  kill(port: number): Promise<void>;
  /** Moves `slot`, with its keys, from the primary serving it to the primary on `toPort`, a few keys at a time. */
  moveSlot(slot: number, toPort: number): Promise<void>;
  stop(): Promise<void>;
}

function describeFailover(name: string, skipped: boolean, start: () => Promise<FailoverCluster>, setupOptions: SetupOptions = {}): void {
  describe.skipIf(skipped)(`failover on ${name}`, () => {
    let cluster: FailoverCluster;
    const probes: Redis[] = [];

    beforeAll(async () => {
      cluster = await start();
      // A probe of a node the test killed fails its calls; its error events say nothing more.
      for (const node of cluster.nodes) probes.push(new Redis({ host: node.host, port: node.port, lazyConnect: true, retryStrategy: () => null }).on('error', () => {}));
    }, 120_000);

    afterAll(async () => {
      for (const probe of probes) probe.disconnect();
      await cluster?.stop();
    });

    /** The port of the primary serving each slot now, asked of a node that is up. */
    async function ownerPorts(): Promise<Map<number, number>> {
      for (const probe of probes) {
        try {
          const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
          const owners = new Map<number, number>();
          for (const [start, end, [, port]] of slots) for (let slot = start; slot <= end; slot++) owners.set(slot, Number(port));
          return owners;
        } catch {
          // That node is down: ask the next.
        }
      }
      throw new Error('no node answered CLUSTER SLOTS');
    }

    it('after kill -9 of a primary, the SDK serves its slots again no later than the raw driver + 1 s, within deadlines, with no wrong value', async () => {
      const setups = await openSetups(cluster.nodes, setupOptions);
      const owners = await ownerPorts();
      const victim = cluster.nodes.find((node) => [...owners.values()].includes(node.port))?.port as number;
      const deadShard = (key: string) => owners.get(slotOf(key)) === victim;
      let stopAt = Number.POSITIVE_INFINITY;
      let killedAt = Number.POSITIVE_INFINITY;
      const until = () => performance.now() >= stopAt;
      // The run ends a while after the last setup serves the dead shard again (the slowest driver
      // takes 6 s on a quiet machine, more on a loaded one), or at the cap.
      const recovered = new Set<string>();
      const watch = (label: string) => (call: Call) => {
        if (!call.ok || !call.disturbed || call.startedAt < killedAt || recovered.has(label)) return;
        recovered.add(label);
        if (recovered.size === Object.keys(setups).length) stopAt = Math.min(stopAt, performance.now() + AFTER_RECOVERY_MS);
      };
      // How late this process's event loop ran (the emulator cluster shares it): a call cannot
      // settle before the loop gets to its deadline's timer.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const runs = Object.entries(setups).map(([label, ops]) => runWorkload(workloadKeys(`kill:${label}`), ops, deadShard, until, watch(label)));
      await pause(BEFORE_KILL_MS);
      await cluster.kill(victim);
      killedAt = performance.now();
      stopAt = killedAt + AFTER_KILL_CAP_MS;
      const results = await Promise.all(runs);
      loopDelay.disable();
      await closeSetups(setups);

      const report = Object.keys(setups).map((label, index) => {
        const calls = results[index] as Call[];
        const other = calls.filter((call) => !call.disturbed && call.startedAt >= killedAt);
        return {
          label,
          recovered: recoveredAt(calls, killedAt),
          deadShardCalls: calls.filter((call) => call.disturbed && call.startedAt >= killedAt).length,
          otherFailureRate: other.filter((call) => !call.ok).length / Math.max(other.length, 1),
          otherFirstError: other.find((call) => !call.ok)?.error ?? '',
          slowest: slowestCall(calls),
          wrong: calls.filter((call) => call.wrong).length,
          firstWrong: calls.find((call) => call.wrong)?.error ?? '',
        };
      });
      console.table(report);
      const row = (label: string) => report.find((entry) => entry.label === label) as (typeof report)[number];
      // How late timers fired in this process: the longest the event loop was held up, and a raw
      // call's deadline overshoot (a timer of the same length, so its lateness is the loop's, not ours).
      const rawOvershoot = report.filter((entry) => entry.label.startsWith('raw')).map((entry) => entry.slowest - CALL_TIMEOUT_MS);
      const timerLag = Math.max(0, loopDelay.max / 1e6 - 10, ...rawOvershoot);
      const callsOf = (label: string) => results[Object.keys(setups).indexOf(label)] as Call[];
      for (const sdk of report.filter((entry) => entry.label.startsWith('SDK'))) {
        const raw = row(rawLabelOf(sdk.label));
        expect(Number.isFinite(raw.recovered), `${raw.label} recovered`).toBe(true);
        // Timers late in this process delay the SDK's pauses between attempts as much as the raw calls' deadlines.
        expect(sdk.recovered, `${sdk.label} vs ${raw.label} (timers ${Math.round(timerLag)} ms late)`).toBeLessThanOrEqual(raw.recovered + 1000 + timerLag);
        // Once both serve the slots again (and a second more), the SDK fails no more of those calls
        // than its driver: 2 calls of slack, for a loaded machine that makes any call miss its deadline.
        const settled = killedAt + Math.max(raw.recovered, sdk.recovered) + 1000;
        expect(failuresFrom(callsOf(sdk.label), settled), `${sdk.label}: failures on the moved slots after recovery`).toBeLessThanOrEqual(failuresFrom(callsOf(raw.label), settled) + 2);
        // A call still in flight at its deadline settles one loop turn later (core's grace for a
        // transport that can take it back), so a held-up loop can delay it twice.
        expect(sdk.slowest, `${sdk.label}: no call past its deadline + ${DEADLINE_SLACK_MS} ms (timers ${Math.round(timerLag)} ms late)`).toBeLessThanOrEqual(CALL_TIMEOUT_MS + DEADLINE_SLACK_MS + 2 * timerLag);
        expect(sdk.wrong, `${sdk.label}: wrong values (${sdk.firstWrong})`).toBe(0);
        // The cluster answers CLUSTERDOWN while it detects the failure; the SDK waits that out within the deadline.
        // Issue 21 asks for no more often than through ioredis. node-redis' own client fails such
        // calls itself while it rediscovers the cluster (it closes node connections with commands
        // on them, which may have run, so nothing can send them again): the SDK over a driver fails
        // no more often than ioredis or that driver, whichever fails more.
        const bound = Math.max(row('raw ioredis').otherFailureRate, raw.otherFailureRate) + 0.002;
        expect(sdk.otherFailureRate, `${sdk.label}: calls to the other slots fail no more often than through ioredis or its own driver (${sdk.otherFirstError})`).toBeLessThanOrEqual(bound);
      }
    }, 90_000);

    it('moves a slot under load (MIGRATING/IMPORTING, ASK, then MOVED) with no more failures than the raw driver and no wrong value', async () => {
      const setups = await openSetups(cluster.nodes);
      const owners = await ownerPorts();
      const hashTag = '{reshard}';
      const slot = slotOf(hashTag);
      const from = owners.get(slot) as number;
      const to = [...new Set(owners.values())].find((port) => port !== from) as number;
      let done = false;
      const runs = Object.entries(setups).map(([label, ops]) => runWorkload(workloadKeys(`reshard:${label}`, hashTag), ops, () => true, () => done));
      await pause(500);
      await cluster.moveSlot(slot, to);
      await pause(1000);
      done = true;
      const results = await Promise.all(runs);
      await closeSetups(setups);
      const report = Object.keys(setups).map((label, index) => {
        const calls = results[index] as Call[];
        const failures = calls.filter((call) => !call.ok);
        return { label, calls: calls.length, failed: failures.length, wrong: calls.filter((call) => call.wrong).length, firstError: failures[0]?.error ?? '' };
      });
      console.table(report);
      expect((await ownerPorts()).get(slot)).toBe(to);
      // A clean move fails no call; on a loaded machine a stall of a second fails a call of every
      // lane of raw and SDK alike, so the SDK is judged against its driver, as the issue asks.
      for (const entry of report.filter((row) => row.label.startsWith('SDK'))) {
        const raw = report.find((row) => row.label === rawLabelOf(entry.label)) as (typeof report)[number];
        expect(entry.failed, `${entry.label}: failed calls (${entry.firstError}) against ${raw.failed} through ${raw.label}`).toBeLessThanOrEqual(raw.failed);
        expect(entry.wrong, `${entry.label}: wrong values`).toBe(0);
      }
    }, 90_000);

    it('with a dead first seed, serves every call the raw driver serves, and the process exits within 1 s of closing', async () => {
      const dead = { host: '127.0.0.1', port: await freePort() };
      const alive = (await ownerPorts()).values().next().value as number;
      const seeds = [dead, { host: '127.0.0.1', port: alive }];
      for (const driver of ['ioredis', 'node-redis'] as const) {
        const child = await connectAndClose(driver, seeds);
        expect(child.served, `${driver}: calls served with a dead first seed`).toBe(24);
        expect(child.exitAfterCloseMs, `${driver}: exit after close`).toBeLessThan(1000);
      }
    }, 60_000);
  });
}

describeFailover('a real 6-node Redis Cluster (3 primaries, 3 replicas, cluster-node-timeout 1000)', Boolean(skip), async () => {
  const started: RedisCluster = await startRedisCluster(3, 1, { nodeTimeoutMs: 1000 });
  const direct = (port: number) => new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null }).on('error', () => {});
  return {
    nodes: started.nodes,
    kill: (port) => started.kill(port),
    stop: () => started.stop(),
    // As redis-cli --cluster reshard does it: keys move in small batches, so commands meet ASK.
    async moveSlot(slot, toPort) {
      const nodes = started.nodes.map((node) => ({ port: node.port, client: direct(node.port) }));
      try {
        const ids = new Map<number, string>();
        const masters: number[] = [];
        for (const node of nodes) {
          const id = await node.client.call('CLUSTER', 'MYID').catch(() => undefined);
          if (id === undefined) continue;
          ids.set(node.port, String(id));
          if (/role:master/.test(String(await node.client.call('INFO', 'replication')))) masters.push(node.port);
        }
        const slots = (await (nodes.find((node) => node.port === toPort) as (typeof nodes)[number]).client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const fromPort = Number(slots.find(([start, end]) => slot >= start && slot <= end)?.[2][1]);
        const client = (port: number) => (nodes.find((node) => node.port === port) as (typeof nodes)[number]).client;
        await client(toPort).call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids.get(fromPort) as string);
        await client(fromPort).call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids.get(toPort) as string);
        for (;;) {
          const keys = (await client(fromPort).call('CLUSTER', 'GETKEYSINSLOT', String(slot), '10')) as string[];
          if (keys.length === 0) break;
          await client(fromPort).call('MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...keys);
          await pause(20);
        }
        for (const port of masters) await client(port).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', ids.get(toPort) as string);
      } finally {
        for (const node of nodes) node.client.disconnect();
      }
    },
  };
}, { glide: true });

describeFailover('the emulator cluster (3 primaries, 3 replicas, nodeTimeout 1000)', false, async () => {
  const started = await startEmulatorCluster({ primaries: 3, replicas: 1, nodeTimeout: 1000 });
  return {
    nodes: started.nodes.map(({ host, port }) => ({ host, port })),
    kill: async (port) => started.kill(started.nodes.find((node) => node.port === port)?.id ?? ''),
    moveSlot: async (slot, toPort) => started.moveSlot(slot, started.nodes.find((node) => node.port === toPort)?.id ?? '', { itemsPerStep: 10, stepDelayMs: 20 }),
    stop: () => started.close(),
  };
});

const fixture = fileURLToPath(new URL('./fixtures/connect-close.mjs', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../../ioredis/dist/index.js', import.meta.url)));
if (!built && process.env['CI'] === 'true') throw new Error('failover.test.ts runs its child process on the built packages; CI=true requires them built first');

/**
 * Runs the fixture in a process of its own (on the built packages, as an application would):
 * it connects through the SDK, sends 24 SETs, closes everything and must then exit by itself.
 */
async function connectAndClose(driver: 'ioredis' | 'node-redis', seeds: ReadonlyArray<{ host: string; port: number }>): Promise<{ served: number; exitAfterCloseMs: number }> {
  if (!built) throw new Error('build the packages first (pnpm build): the child process runs them from dist');
  const child = spawn(process.execPath, [fixture, driver, JSON.stringify(seeds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let closedAt: number | undefined;
  let served = -1;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const match = /closed (\d+)/.exec(output);
    if (match && closedAt === undefined) {
      closedAt = performance.now();
      served = Number(match[1]);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exitedAt = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${driver}: the process did not exit within 30 s:\n${output}`))), 30_000);
    child.once('exit', () => (clearTimeout(timer), resolve(performance.now())));
  });
  if (closedAt === undefined) throw new Error(`${driver}: the process never closed:\n${output}`);
  if (exitedAt - closedAt >= 1000) process.stderr.write(`${driver}: ${output}`);
  return { served, exitAfterCloseMs: exitedAt - closedAt };
}
