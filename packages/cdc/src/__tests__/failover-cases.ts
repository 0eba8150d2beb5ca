import { createFerrite } from '@ferrite/core';
import { startEmulatorCluster, type RunningEmulatorCluster } from '@ferrite/emulator';
import { clusterNodeFor, connectClusterTransport, replicaOf, type ClusterDriver, type TransportTarget } from '@ferrite/test-transports';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clusterWriter, type ClusterWriter } from './cluster-writer.js';
import { take, unique, writeInGroups, type CdcClient } from './helpers.js';
import { decodeCheckpoint } from '../checkpoint.js';
import { CdcPositionLostError } from '../errors.js';
import { cdc } from '../plugin.js';
import type { ChangeEvent, ChangeFeed } from '../types.js';

const BLOCK_MS = 200;
const TIMEOUT_MS = 1000;
/** Writes in flight at once in the failover run (a divisor of the writes between failovers). */
const WRITE_GROUP = 50;

interface Rig {
  readonly cluster: RunningEmulatorCluster;
  readonly writer: ClusterWriter;
  readonly ferrite: CdcClient;
}


/** Reads events until `done` says so, or fails after `ms` with what it got. */
async function collect(feed: ChangeFeed, into: ChangeEvent[], done: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`only ${into.length} events within ${ms} ms`);
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([feed.next(), new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), left)))]);
    clearTimeout(timer);
    if (next === 'late') continue;
    if (next.done) throw new Error(`the feed ended after ${into.length} events`);
    into.push(next.value);
  }
}

/** The failover cases for one cluster transport target (a test file per driver: failover.<driver>.test.ts). */
export function describeCdcThroughFailovers(target: TransportTarget): void {
  describe(`cdc through failovers (${target.label})`, () => {
    // A cluster per case: each fails its primaries over. Failovers here are by hand, never by the
    // failure detector, so its nodeTimeout costs no wall time.
    let rig: Rig | undefined;
    afterEach(async () => {
      await rig?.ferrite.close();
      rig?.writer.close();
      await rig?.cluster.close();
      rig = undefined;
    });

    async function open(): Promise<Rig> {
      const cluster = await startEmulatorCluster({ primaries: 3, replicas: 1 });
      const transport = await connectClusterTransport(cluster, target.driver as ClusterDriver, target.protocol);
      rig = { cluster, writer: clusterWriter(cluster), ferrite: createFerrite({ transport, plugins: [cdc()], timeout: TIMEOUT_MS }) };
      return rig;
    }

    it('20 failovers of random primaries during 10 000 writes: every event exactly once, each log in order under one log id', async () => {
      const { cluster, writer, ferrite } = await open();
      const prefix = unique('failovers');
      const writes = 10_000;
      const failovers = 20;
      const logsBefore = new Set(cluster.nodes.filter((node) => node.role === 'primary').map((node) => node.emulator.changeLog.logId));
      const feed = await ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS, batchSize: 100 });
      const received: ChangeEvent[] = [];
      const consumer = collect(feed, received, () => received.length >= writes, 180_000);
      let random = 42;
      const pick = <T>(items: readonly T[]): T => {
        random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
        return items[random % items.length] as T;
      };
      await writeInGroups(writes, WRITE_GROUP, (i) => writer.write(`${prefix}:${i}`, String(i)), (written) => {
        if (written % (writes / failovers) === 0) {
          const primary = pick(cluster.nodes.filter((node) => node.role === 'primary'));
          // A failover by hand: the replica takes over with everything its primary sent (nothing lost).
          cluster.failover(replicaOf(cluster, primary).id);
        }
      });
      await consumer;
      await feed.close();
      const values = received.map((event) => Number(event.value));
      expect(values.length).toBe(writes);
      expect(new Set(values).size).toBe(writes);
      // The logs kept their ids through every failover; each log's ids strictly increase.
      expect(new Set(received.map((event) => event.log))).toEqual(logsBefore);
      const lastId = new Map<string, number>();
      for (const event of received) {
        const log = event.log as string;
        expect(event.id).toBeGreaterThan(lastId.get(log) ?? 0);
        lastId.set(log, event.id);
      }
    }, 240_000);

    it('a forced failover loses writes: CdcPositionLostError iff the feed had handed over a lost event, naming them', async () => {
      const { cluster, writer, ferrite } = await open();
      const prefix = unique('lost');
      const tag = `{${prefix}}`;
      const key = (name: string) => `${prefix}:${tag}:${name}`;

      // Not handed over: the lost writes are never delivered, and the feed goes on with no error.
      const quiet = await ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS });
      await writer.write(key('kept'), 'kept');
      expect((await take(quiet, 1))[0]?.value).toBe('kept');
      let owner = await clusterNodeFor(cluster, tag);
      let replica = replicaOf(cluster, owner);
      await vi.waitFor(() => expect(replica.emulator.changeLog.lastId).toBe(owner.emulator.changeLog.lastId));
      cluster.pauseReplication(replica.id);
      for (let i = 0; i < 3; i++) await writer.write(key(`lost-${i}`), `lost-${i}`);
      // Give the feed every chance to fetch them (into its buffer): fetched is not handed over.
      await new Promise((resolve) => setTimeout(resolve, 3 * BLOCK_MS));
      const logId = owner.emulator.changeLog.logId;
      cluster.failover(replica.id, { force: true });
      // Once the feed has met the new epoch (its checkpoint names it), what it had fetched of the
      // lost writes is gone with them.
      await vi.waitFor(() => expect(decodeCheckpoint(quiet.checkpoint).logs.find((log) => log.logId === logId)?.epoch).toBe(1), { timeout: 15_000, interval: 20 });
      // Through the client: its transport learns the new owner from the MOVED reply.
      await ferrite.send('SET', key('after'), 'after');
      expect((await take(quiet, 1)).map((event) => event.value)).toEqual(['after']);
      await quiet.close();

      // Handed over: the feed ends with the error, naming the ids it delivered that are gone.
      owner = await clusterNodeFor(cluster, tag);
      replica = replicaOf(cluster, owner);
      // The feed reads each log where the transport's slot map says it is served.
      await vi.waitFor(async () => expect((await ferrite.transport.nodes?.())?.map((node) => node.id)).toContain(owner.id), { timeout: 10_000, interval: 50 });
      const loud = await ferrite.cdc.subscribe(`${prefix}:*`, { blockMs: BLOCK_MS });
      await vi.waitFor(() => expect(replica.emulator.changeLog.lastId).toBe(owner.emulator.changeLog.lastId), { timeout: 10_000 });
      const keptUpTo = owner.emulator.changeLog.lastId;
      cluster.pauseReplication(replica.id);
      for (let i = 0; i < 3; i++) await writer.write(key(`gone-${i}`), `gone-${i}`);
      const delivered = await take(loud, 3);
      expect(delivered.map((event) => event.value)).toEqual(['gone-0', 'gone-1', 'gone-2']);
      cluster.failover(replica.id, { force: true });
      await writer.write(key('later'), 'later');
      const error = await loud.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CdcPositionLostError);
      const lost = error as CdcPositionLostError;
      expect(lost.reason).toBe('rolled-back');
      expect(lost.logId).toBe(owner.emulator.changeLog.logId);
      expect(lost.firstLostId).toBe(keptUpTo + 1);
      expect(lost.lastLostId).toBe((delivered[2] as ChangeEvent).id);
    }, 60_000);
  });
}
