import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFerrite, slotOf, type FerriteClient } from '@ferrite/core';
import { startEmulatorCluster, type EmulatorClusterNode, type RunningEmulatorCluster } from '@ferrite/emulator';
import {
  CLUSTER_PRIMARIES,
  FAILOVER_NODE_TIMEOUT_MS,
  clusterNodeFor,
  clusterTransportTargets,
  connectClusterTransport,
  eventually,
  liveHandles,
  replicaOf,
} from '@ferrite/test-transports';
import { afterAll, describe, expect, it } from 'vitest';
import { CrdtIndeterminateError } from './errors.js';
import { crdt } from './plugin.js';

/**
 * CRDT counters through 20 failovers of an emulator cluster with one replica per primary, driven
 * through the SDK over every cluster transport at once (ioredis `Cluster`, node-redis
 * `createCluster`; RESP2 and RESP3), while workers increment concurrently. Rounds fail over a
 * random primary: by force with replication paused (the replica takes over without what it had
 * queued), or by `kill` with the cluster promoting the replica itself (with or without paused
 * replication). Every increment carries an op-id of the test's own, so the emulator's op-id
 * memory (`crdtOpIds`) tells exactly which acknowledged increments a failover lost. One worker per
 * client has a deadline shorter than a promotion, so calls fail mid-failover too: each must settle
 * by its deadline and say whether it may have run.
 */

type Client = FerriteClient<readonly [ReturnType<typeof crdt>]>;

const ROUNDS = 20;
const COUNTERS_PER_PRIMARY = 2;
const WORKERS_PER_CLIENT = 2;
/** Core's deadline per call: a kill round's CLUSTERDOWN and promotion last well under this. */
const CALL_TIMEOUT_MS = 5000;
/**
 * The deadline of one worker per client: shorter than a kill round's wait for promotion, so some
 * of its calls fail mid-failover and must say whether they may have run.
 */
const SHORT_TIMEOUT_MS = 250;
/** How long after its deadline a call may still settle (issue 21). */
const DEADLINE_SLACK_MS = 250;
/** The server remembers this many op-ids per key; the test stays below it so `crdtOpIds` lists every increment. */
const OP_ID_WINDOW = 10_000;

/** Keys such that each primary's slot range holds `perPrimary` of them. */
function countersSpreadOver(primaries: number, perPrimary: number): string[] {
  const rangeOf = (key: string) => Math.floor((slotOf(key) * primaries) / 16384);
  const byRange = Array.from({ length: primaries }, () => [] as string[]);
  for (let index = 0; byRange.some((keys) => keys.length < perPrimary); index++) {
    const key = `failover:counter:${index}`;
    const keys = byRange[rangeOf(key)] as string[];
    if (keys.length < perPrimary) keys.push(key);
  }
  return byRange.flat();
}

/** What one failover round did to the op-ids of every counter. */
interface Round {
  readonly kind: 'force' | 'kill, paused replication' | 'kill';
  /** Port of the primary failed over, so a failure message tells the rounds apart. */
  readonly port: number;
  /** Op-ids the old primary held and its promoted replica did not: lost by this failover. */
  readonly lost: ReadonlySet<string>;
  /** Op-ids acknowledged before the round began: none of them can have been sent again since. */
  readonly acknowledgedBefore: ReadonlySet<string>;
}

/** Every op-id each counter at `keys` remembers on `node`. */
function opIdsOn(node: EmulatorClusterNode, keys: readonly string[]): Set<string> {
  return new Set(keys.flatMap((key) => node.emulator.crdtOpIds(key)));
}

describe('crdt counters through 20 failovers of an emulator cluster (SDK over every cluster transport at once)', () => {
  let cluster: RunningEmulatorCluster | undefined;
  const clients: Client[] = [];
  const closeAll = async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster?.close();
  };
  afterAll(closeAll);

  it('counts acknowledged − lost, exactly the op-ids no replica had, never twice; every failure says maybeApplied', { timeout: 180_000 }, async () => {
    const handlesBefore = liveHandles();
    const running = await startEmulatorCluster({ primaries: CLUSTER_PRIMARIES, replicas: 1, nodeTimeout: FAILOVER_NODE_TIMEOUT_MS });
    cluster = running;
    const keys = countersSpreadOver(CLUSTER_PRIMARIES, COUNTERS_PER_PRIMARY);
    for (const target of clusterTransportTargets) {
      const transport = await connectClusterTransport(running, target.driver as 'ioredis' | 'node-redis', target.protocol);
      clients.push(createFerrite({ transport, plugins: [crdt()], timeout: CALL_TIMEOUT_MS }));
    }

    const acknowledged = new Set<string>();
    /** Calls that rejected with `maybeApplied: true`: settled after the rounds by resending their op-id. */
    const indeterminate: CrdtIndeterminateError[] = [];
    /** Op-ids of calls that rejected with `maybeApplied: false`: they must never have run anywhere. */
    const notApplied: string[] = [];
    const otherFailures: unknown[] = [];
    /** Calls that settled after their deadline: how long after, and how they ended. */
    const overshoots: Array<{ readonly opId: string; readonly overshootMs: number; readonly outcome: string }> = [];
    // The cluster shares this event loop: a stall of the loop (a full resync, the machine's load)
    // delays a call's settling as much as anything of the SDK's, so the check allows for the worst one.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let stopping = false;
    const worker = async (client: Client, name: string, timeout: number) => {
      const counters = client.withOptions({ timeout }).crdt;
      for (let sequence = 0; !stopping; sequence++) {
        const key = keys[Math.floor(Math.random() * keys.length)] as string;
        const opId = `${name}:${sequence}`;
        // A timer as long as the deadline, started with the call: when it fires late, the event
        // loop was late (the cluster shares it), and the call is not blamed for that.
        let deadlineFiredAt: number | undefined;
        let outcome = 'acknowledged';
        const deadline = setTimeout(() => (deadlineFiredAt = performance.now()), timeout);
        try {
          await counters.counter(key).incr(1, { opId });
          acknowledged.add(opId);
        } catch (error) {
          outcome = String(error);
          if (error instanceof CrdtIndeterminateError) indeterminate.push(error);
          else if ((error as { maybeApplied?: unknown }).maybeApplied === false) notApplied.push(opId);
          else otherFailures.push(error);
        } finally {
          clearTimeout(deadline);
          if (deadlineFiredAt !== undefined) overshoots.push({ opId, overshootMs: performance.now() - deadlineFiredAt, outcome });
        }
        // Paced, so the 20 rounds stay well inside the server's op-id window of each key.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const workers = clients.flatMap((client, index) =>
      Array.from({ length: WORKERS_PER_CLIENT }, (_, w) =>
        worker(client, `${clusterTransportTargets[index]?.label}#${w}`, w === 0 ? SHORT_TIMEOUT_MS : CALL_TIMEOUT_MS),
      ),
    );

    const rounds: Round[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Concurrent traffic before every failover: at least a few increments land on the cluster as it is.
        const floor = acknowledged.size + 20;
        await eventually(() => acknowledged.size, (size) => size >= floor, `increments before round ${round + 1}`);
        const primaries = running.nodes.filter((node) => node.role === 'primary' && node.alive);
        const primary = primaries[Math.floor(Math.random() * primaries.length)] as EmulatorClusterNode;
        const replica = replicaOf(running, primary);
        const kind = (['force', 'kill, paused replication', 'kill'] as const)[round % 3] as Round['kind'];
        const acknowledgedBefore = new Set(acknowledged);
        if (kind !== 'kill') {
          running.pauseReplication(replica.id);
          // Some acknowledged increments wait in the replica's queue: the failover will lose them.
          await eventually(() => running.replicationBacklog(replica.id), (queued) => queued >= 3, `a backlog in round ${round + 1}`);
        }
        let lost: Set<string>;
        if (kind === 'force') {
          // One synchronous turn: nothing can reach either node between the two readings.
          const onOld = opIdsOn(primary, keys);
          running.failover(replica.id, { force: true });
          const onNew = opIdsOn(replica, keys);
          lost = new Set([...onOld].filter((opId) => !onNew.has(opId)));
          expect([primary.role, replica.role]).toEqual(['replica', 'primary']);
        } else {
          const killing = running.kill(primary.id);
          // kill drops the replica's queue before it yields: what the replica holds now is what it keeps.
          const onReplica = opIdsOn(replica, keys);
          await killing;
          const onOld = opIdsOn(primary, keys);
          lost = new Set([...onOld].filter((opId) => !onReplica.has(opId)));
          await eventually(() => replica.role, (role) => role === 'primary', `promotion in round ${round + 1}`);
          await running.restart(primary.id);
          expect([primary.role, primary.primaryId]).toEqual(['replica', replica.id]);
        }
        if (kind !== 'kill') expect(lost.size).toBeGreaterThan(0);
        rounds.push({ kind, port: primary.port, lost, acknowledgedBefore });
      }
    } finally {
      stopping = true;
      await Promise.all(workers);
    }

    // Settle every call whose outcome was unknown by resending its op-id: counted at most once.
    for (const failure of indeterminate) {
      expect(failure.maybeApplied).toBe(true);
      const client = clients[0] as Client;
      await eventually(
        () => client.crdt.counter(failure.key).incr(1, { opId: failure.opId }).then(() => true, () => false),
        (settled) => settled,
        `settling ${failure.opId}`,
      );
      acknowledged.add(failure.opId);
    }

    const owners = await Promise.all(keys.map((key) => clusterNodeFor(running, key)));
    const counted = new Set<string>();
    let finalValue = 0;
    for (const [index, key] of keys.entries()) {
      const remembered = (owners[index] as EmulatorClusterNode).emulator.crdtOpIds(key);
      expect(remembered.length).toBeLessThan(OP_ID_WINDOW);
      // One op-id per increment, never twice.
      expect(new Set(remembered).size).toBe(remembered.length);
      for (const opId of remembered) counted.add(opId);
      // Every client reads the same value, through its own transport, and it is the number of op-ids.
      for (const client of clients) expect(await client.crdt.counter(key).get()).toBe(remembered.length);
      finalValue += remembered.length;
    }

    const lostByFailovers = new Set(rounds.flatMap((round) => [...round.lost]));
    const missing = [...acknowledged].filter((opId) => !counted.has(opId));
    const context = `rounds: ${rounds.map((round) => `${round.kind} of :${round.port}`).join(', ')}`;
    // Every increment the cluster counts is one a client sent and got acknowledged (settled ones included).
    expect([...counted].filter((opId) => !acknowledged.has(opId)), context).toEqual([]);
    // The headline: final value = acknowledged − lost with their unreplicated writes.
    expect(finalValue, context).toBe(acknowledged.size - missing.length);
    // Every acknowledged increment missing now was held by a primary and not by the replica that took over…
    expect(missing.filter((opId) => !lostByFailovers.has(opId)), context).toEqual([]);
    // …and every one so lost that had been acknowledged before its failover is still missing (nothing resent it).
    const resurrected = rounds.flatMap((round) => [...round.lost].filter((opId) => round.acknowledgedBefore.has(opId) && counted.has(opId)));
    expect(resurrected, context).toEqual([]);
    expect(missing.length, context).toBeGreaterThan(0);
    // A call that said it never ran did not: its op-id is on no node, then or now.
    const everHeld = new Set([...counted, ...lostByFailovers]);
    expect(notApplied.filter((opId) => everHeld.has(opId)), context).toEqual([]);
    expect(otherFailures, context).toEqual([]);
    loopDelay.disable();
    const stallMs = loopDelay.max / 1e6;
    const late = overshoots.filter((call) => call.overshootMs > DEADLINE_SLACK_MS + stallMs);
    expect(late, `calls settled past their deadline + ${DEADLINE_SLACK_MS} ms (+ the loop's worst stall, ${Math.round(stallMs)} ms)`).toEqual([]);
    // The short deadlines cut calls off mid-failover, so both kinds of failure were exercised.
    expect([indeterminate.length, notApplied.length].every((count) => count > 0), `${indeterminate.length} maybe applied, ${notApplied.length} not applied`).toBe(true);

    // Whatever the failovers left behind (reconnecting node clients, refresh timers), closing ends it.
    // CI runs measured 1 024 and 1 293 ms: that was ioredis' own timer after a slot-table read
    // that met a dead node (`disconnectTimeout`, 2 s by default, which connectClusterTransport sets
    // to 200 ms, as the ioredis README advises a user who needs a prompt exit).
    const CLOSE_SLACK_MS = 100;
    const closing = monitorEventLoopDelay({ resolution: 10 });
    closing.enable();
    await closeAll();
    const closedAt = performance.now();
    // Within 1 s (issue 21): no close leaves a grace timer behind once it has finished. Waited for
    // longer, then judged: a loaded machine runs the closing sockets' callbacks as late as its
    // event loop's worst stall meanwhile, which is not time our code kept anything open.
    await eventually(liveHandles, (handles) => handles <= handlesBefore, `every socket and timer to close (open right after closing: ${process.getActiveResourcesInfo().join(', ')})`, 10_000);
    closing.disable();
    const closeMs = performance.now() - closedAt;
    expect(closeMs, `closed in ${Math.round(closeMs)} ms (the loop stalled up to ${Math.round(closing.max / 1e6)} ms)`).toBeLessThanOrEqual(1000 + CLOSE_SLACK_MS + closing.max / 1e6);
  });
});
