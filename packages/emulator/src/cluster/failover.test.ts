import { connect } from 'node:net';
import { slotOf } from '@ferrite/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../engine/testing/eventually.js';
import { RawRespClient, plain } from '../engine/testing/raw-client.js';
import type { Plain, RespArgument } from '../engine/testing/raw-client.js';
import { startEmulatorCluster } from './start.js';
import type { EmulatorClusterNode, RunningEmulatorCluster, StartEmulatorClusterOptions } from './start.js';

/**
 * Failover in the emulator cluster (PROTOCOL.md §8.1), over raw RESP: kill, automatic promotion,
 * restart as a replica, CLUSTER FAILOVER, and the change log a replica copies. Each test starts a
 * cluster of its own: 3 primaries with a replica each, unless it says otherwise.
 */
let cluster: RunningEmulatorCluster | undefined;
const clients: RawRespClient[] = [];

async function start(options: StartEmulatorClusterOptions = {}): Promise<RunningEmulatorCluster> {
  cluster = await startEmulatorCluster({ primaries: 3, replicas: 1, ...options });
  return cluster;
}
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await cluster?.close();
  cluster = undefined;
});

async function open(node: EmulatorClusterNode, protocol: 2 | 3 = 2): Promise<(...args: RespArgument[]) => Promise<Plain>> {
  const client = await RawRespClient.connect(node.port);
  clients.push(client);
  if (protocol === 3) await client.send('HELLO', '3');
  return async (...args) => plain(await client.send(...args));
}

const field = (reply: Plain, name: string): Plain | undefined => {
  if (reply instanceof Map) return reply.get(name);
  const items = reply as Plain[];
  return items[items.indexOf(name) + 1];
};
const keysOf = (events: Plain): string[] => (events as Plain[]).map((event) => String(field(event, 'key')));
/** The replica of the primary that owns `key`'s slot at start. */
const shardOf = (running: RunningEmulatorCluster, key: string) => {
  const slot = slotOf(key);
  const primary = running.nodes[slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2] as EmulatorClusterNode;
  const replica = running.nodes.find((node) => node.primaryId === primary.id) as EmulatorClusterNode;
  return { primary, replica };
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

const nodeLine = async (send: (...args: RespArgument[]) => Promise<Plain>, id: string) =>
  String(await send('CLUSTER', 'NODES'))
    .split('\n')
    .find((line) => line.startsWith(id)) ?? '';

describe.each([2, 3] as const)('change log replication over RESP%i', (protocol) => {
  it('a replica copies its primary log: same log_id, ids, timestamps and fields; it numbers none itself', async () => {
    const running = await start();
    const { primary, replica } = shardOf(running, 'k');
    const onPrimary = await open(primary, protocol);
    const onReplica = await open(replica, protocol);
    await onPrimary('SET', 'k', 'v1');
    await onPrimary('INCR', '{k}n');
    await onPrimary('DEL', 'k');
    await settle();
    const info = await onReplica('CDC.INFO');
    expect(field(info, 'log_id')).toBe(field(await onPrimary('CDC.INFO'), 'log_id'));
    expect([field(info, 'last_id'), field(info, 'epoch'), field(info, 'epoch_start_id')]).toEqual([3, 0, 1]);
    const fromPrimary = await onPrimary('CDC.POLL', String(await onPrimary('CDC.SUBSCRIBE', '*', 'FROM', '1')));
    const fromReplica = await onReplica('CDC.POLL', String(await onReplica('CDC.SUBSCRIBE', '*', 'FROM', '1')));
    expect(fromReplica).toEqual(fromPrimary);
    expect(keysOf(fromReplica)).toEqual(['k', '{k}n', 'k']);
    // CDC.SUBSCRIBE/POLL work on a replica and append nothing there.
    expect(field(await onReplica('CDC.INFO'), 'last_id')).toBe(3);
  });
});

describe('CLUSTER FAILOVER', () => {
  it('promotes a replica after it caught up: nothing lost, new epoch, the old primary follows it', async () => {
    const running = await start();
    const { primary, replica } = shardOf(running, 'k');
    const onPrimary = await open(primary);
    const onReplica = await open(replica);
    running.pauseReplication(replica.id);
    await onPrimary('SET', 'k', 'v');
    expect(running.replicationBacklog(replica.id)).toBeGreaterThan(0);
    expect(await onReplica('CLUSTER', 'FAILOVER')).toBe('+OK');
    expect([replica.role, primary.role, primary.primaryId]).toEqual(['primary', 'replica', replica.id]);
    expect(await onReplica('GET', 'k')).toBe('v');
    expect(await onPrimary('GET', 'k')).toEqual({ error: `MOVED ${slotOf('k')} 127.0.0.1:${replica.port}` });
    const info = await onReplica('CDC.INFO');
    expect([field(info, 'epoch'), field(info, 'epoch_start_id'), field(info, 'last_id')]).toEqual([1, 2, 1]);
    await onReplica('SET', 'k', 'w');
    await settle();
    const demoted = await onPrimary('CDC.INFO');
    expect([field(demoted, 'log_id'), field(demoted, 'epoch'), field(demoted, 'last_id')]).toEqual([field(info, 'log_id'), 1, 2]);
    expect(primary.emulator.database(0).has('k')).toBe(true);
    expect(await nodeLine(onReplica, replica.id)).toMatch(/ myself,master - /);
    expect(await nodeLine(onReplica, primary.id)).toContain(` slave ${replica.id} `);
  });

  it('with FORCE takes over with what it applied: the rest is lost with its events, and the rolled-back position is refused', async () => {
    const running = await start();
    const { primary, replica } = shardOf(running, 'k');
    const onPrimary = await open(primary);
    const onReplica = await open(replica);
    await onPrimary('SET', 'k', 'kept');
    await settle();
    running.pauseReplication(replica.id);
    await onPrimary('SET', 'k', 'lost'); // id 2, acknowledged, never copied
    await onPrimary('SET', '{k}x', 'lost'); // id 3
    const logId = String(field(await onPrimary('CDC.INFO'), 'log_id'));
    expect(await onReplica('CLUSTER', 'FAILOVER', 'force')).toBe('+OK');
    expect(await onReplica('GET', 'k')).toBe('kept');
    expect(await onReplica('EXISTS', '{k}x')).toBe(0);
    await onReplica('SET', 'k', 'new'); // id 2 again, epoch 1
    const info = await onReplica('CDC.INFO');
    expect([field(info, 'log_id'), field(info, 'epoch'), field(info, 'epoch_start_id'), field(info, 'last_id')]).toEqual([logId, 1, 2, 2]);
    // A reader that saw event 3 of epoch 0 (next id 4): rolled back. One that saw 1 only: fine.
    const subscribe = (next: number, epoch: number) => onReplica('CDC.SUBSCRIBE', '*', 'FROM', String(next), 'LOG', logId, 'EPOCH', String(epoch));
    expect(await subscribe(4, 0)).toEqual({ error: 'ERR CDC position lost: epoch 0 ends at 1' });
    expect(await subscribe(3, 0)).toEqual({ error: 'ERR CDC position lost: epoch 0 ends at 1' });
    const id = await subscribe(2, 0);
    expect(keysOf(await onReplica('CDC.POLL', String(id)))).toEqual(['k']);
    // The old primary dropped what it had not replicated.
    await settle();
    expect(primary.emulator.database(0).has('{k}x')).toBe(false);
    expect(primary.emulator.changeLog.lastId).toBe(2);
    expect(primary.emulator.changeLog.get(2)?.value?.toString()).toBe('new');
  });

  it('answers errors as Redis 7 does', async () => {
    const running = await start({ nodeTimeout: 60_000 });
    const { primary, replica } = shardOf(running, 'k');
    const onPrimary = await open(primary);
    const onReplica = await open(replica);
    expect(await onPrimary('CLUSTER', 'FAILOVER')).toEqual({ error: 'ERR You should send CLUSTER FAILOVER to a replica' });
    expect(await onReplica('CLUSTER', 'FAILOVER', 'SOON')).toEqual({ error: 'ERR syntax error' });
    expect(await onReplica('CLUSTER', 'FAILOVER', 'FORCE', 'NOW')).toEqual({ error: 'ERR syntax error' });
    await running.kill(primary.id);
    expect(await onReplica('CLUSTER', 'FAILOVER')).toEqual({ error: 'ERR Master is down or failed, please use CLUSTER FAILOVER FORCE' });
    expect(() => running.failover(replica.id)).toThrow(/force/);
    expect(await onReplica('CLUSTER', 'FAILOVER', 'TAKEOVER')).toBe('+OK');
    expect(replica.role).toBe('primary');
    expect(() => running.failover(primary.id)).toThrow(/not a replica/);
  });
});

describe('kill, automatic failover, restart', () => {
  it('kill resets connections and refuses new ones; CLUSTERDOWN once detected; the replica takes over; the old primary comes back as its replica', async () => {
    const running = await start({ nodeTimeout: 200 });
    const { primary, replica } = shardOf(running, 'k');
    const other = running.nodes.find((node) => node.role === 'primary' && node !== primary) as EmulatorClusterNode;
    const onPrimary = await open(primary);
    const onOther = await open(other);
    await onPrimary('SET', 'k', 'v');
    await settle();
    const killedClient = clients.at(-2) as RawRespClient;
    const killedAt = Date.now();
    await running.kill(primary.id);
    await killedClient.closed;
    expect(primary.alive).toBe(false);
    await expect(
      new Promise((resolve, reject) => {
        const socket = connect({ port: primary.port, host: '127.0.0.1' });
        socket.once('connect', () => resolve(socket.destroy()));
        socket.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(await nodeLine(onOther, primary.id)).toMatch(/ master,fail\? .* disconnected/);
    const shards = JSON.stringify(await onOther('CLUSTER', 'SHARDS'));
    expect(shards).toContain(`"id","${primary.id}"`);
    expect(shards.split(`"id","${primary.id}"`)[1]?.split('"health",')[1]?.startsWith('"fail"')).toBe(true);
    // Detected: every node refuses keyed commands, keyless ones still run.
    await eventually(() => onOther('GET', 'anything'), (reply) => JSON.stringify(reply).includes('CLUSTERDOWN'), 'CLUSTERDOWN');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(200);
    expect(await onOther('GET', 'anything')).toEqual({ error: 'CLUSTERDOWN The cluster is down' });
    expect(await onOther('PING')).toBe('+PONG');
    expect(String(await onOther('CLUSTER', 'INFO'))).toContain('cluster_state:fail');
    // Promoted: the cluster serves again, the replica owns the slots.
    await eventually(() => replica.role, (role) => role === 'primary', 'the promotion');
    expect(await onOther('GET', 'k')).toEqual({ error: `MOVED ${slotOf('k')} 127.0.0.1:${replica.port}` });
    expect(String(await onOther('CLUSTER', 'INFO'))).toContain('cluster_state:ok');
    expect(await nodeLine(onOther, primary.id)).toMatch(/ master,fail - .* disconnected$/);
    const slots = (await onOther('CLUSTER', 'SLOTS')) as Plain[][];
    const range = slots.find((entry) => (entry[0] as number) <= slotOf('k') && slotOf('k') <= (entry[1] as number)) as Plain[];
    expect(range.slice(2).map((node) => (node as Plain[])[2])).toEqual([replica.id]);
    const onReplica = await open(replica);
    expect(await onReplica('GET', 'k')).toBe('v');
    await onReplica('SET', 'k', 'after');
    // Back, empty, as a replica of the node that took over, with its data and log.
    await running.restart(primary.id);
    expect([primary.alive, primary.role, primary.primaryId]).toEqual([true, 'replica', replica.id]);
    const back = await open(primary);
    expect(await back('READONLY')).toBe('+OK');
    expect(await back('GET', 'k')).toBe('after');
    expect(field(await back('CDC.INFO'), 'log_id')).toBe(field(await onReplica('CDC.INFO'), 'log_id'));
    expect(field(await back('CDC.INFO'), 'epoch')).toBe(1);
    expect(await nodeLine(onOther, primary.id)).toContain(` slave ${replica.id} `);
  });

  it('loses exactly the increments whose op-ids never reached the replica', async () => {
    const running = await start({ nodeTimeout: 100 });
    const { primary, replica } = shardOf(running, 'counter');
    const onPrimary = await open(primary);
    for (const opId of ['a', 'b']) await onPrimary('CRDT.COUNTER.INCR', 'counter', '1', 'ID', opId);
    await settle();
    running.pauseReplication(replica.id);
    for (const opId of ['c', 'd', 'e']) await onPrimary('CRDT.COUNTER.INCR', 'counter', '1', 'ID', opId);
    expect(primary.emulator.crdtOpIds('counter')).toEqual(['a', 'b', 'c', 'd', 'e']);
    await running.kill(primary.id);
    await eventually(() => replica.role, (role) => role === 'primary', 'the promotion');
    expect(replica.emulator.crdtOpIds('counter')).toEqual(['a', 'b']);
    const onReplica = await open(replica);
    expect(await onReplica('CRDT.COUNTER.GET', 'counter')).toBe(2);
    // A client retrying a lost increment with its op-id applies it once, now.
    expect(await onReplica('CRDT.COUNTER.INCR', 'counter', '1', 'ID', 'c')).toBe(3);
    expect(await onReplica('CRDT.COUNTER.INCR', 'counter', '1', 'ID', 'a')).toBe(3);
  });

  it('through 20 failovers: the counter is what was acknowledged minus exactly the op-ids no replica had; one log, 20 epochs', async () => {
    const running = await start({ primaries: 1, replicas: 1, nodeTimeout: 30 });
    const acknowledged: string[] = [];
    const logId = (running.nodes[0] as EmulatorClusterNode).emulator.changeLog.logId;
    for (let round = 0; round < 20; round++) {
      const primary = running.nodes.find((node) => node.role === 'primary') as EmulatorClusterNode;
      const replica = running.nodes.find((node) => node.primaryId === primary.id) as EmulatorClusterNode;
      const send = await open(primary);
      for (let index = 0; index < 5; index++) {
        // The last two writes of every other round never reach the replica.
        if (index === 3 && round % 2 === 0) running.pauseReplication(replica.id);
        const opId = `${round}:${index}`;
        await send('CRDT.COUNTER.INCR', 'counter', '1', 'ID', opId);
        await send('SET', 'last', opId);
        acknowledged.push(opId);
      }
      await settle();
      await running.kill(primary.id);
      await eventually(() => replica.role, (role) => role === 'primary', `promotion ${round + 1}`);
      await running.restart(primary.id);
    }
    const primary = running.nodes.find((node) => node.role === 'primary') as EmulatorClusterNode;
    const kept = primary.emulator.crdtOpIds('counter');
    const lost = acknowledged.filter((opId) => !kept.includes(opId));
    expect(lost).toEqual(acknowledged.filter((opId) => /^\d*[02468]:[34]$/.test(opId)));
    const send = await open(primary);
    expect(await send('CRDT.COUNTER.GET', 'counter')).toBe(acknowledged.length - lost.length);
    const log = primary.emulator.changeLog;
    expect([log.logId, log.epoch]).toEqual([logId, 20]);
    // One event per kept SET, numbered without a gap; every lost SET's id went to a later event.
    expect(log.lastId).toBe(acknowledged.length - lost.length);
    expect(Array.from({ length: log.lastId }, (_, index) => log.get(index + 1)?.value?.toString())).toEqual(kept);
  });

  it('a primary without a replica comes back empty and owns its slots again, with a new log', async () => {
    const running = await start({ replicas: 0, nodeTimeout: 100 });
    const { primary } = shardOf(running, 'k');
    const other = running.nodes.find((node) => node !== primary) as EmulatorClusterNode;
    const onOther = await open(other);
    const oldLog = primary.emulator.changeLog.logId;
    await running.kill(primary.id);
    await eventually(() => onOther('SET', '{x}', '1'), (reply) => JSON.stringify(reply).includes('CLUSTERDOWN'), 'CLUSTERDOWN');
    await running.restart(primary.id);
    expect(primary.role).toBe('primary');
    expect(primary.emulator.changeLog.logId).not.toBe(oldLog);
    expect(String(await onOther('CLUSTER', 'INFO'))).toContain('cluster_state:ok');
    const onPrimary = await open(primary);
    expect(await onPrimary('SET', 'k', '1')).toBe('+OK');
  });

  it('a killed replica is flagged and left out of CLUSTER SLOTS, then resynchronises when back', async () => {
    const running = await start({ nodeTimeout: 100 });
    const { primary, replica } = shardOf(running, 'k');
    const onPrimary = await open(primary);
    await running.kill(replica.id);
    await onPrimary('SET', 'k', 'while down');
    await eventually(() => nodeLine(onPrimary, replica.id), (line) => / slave,fail /.test(line), 'the fail flag');
    const slots = JSON.stringify(await onPrimary('CLUSTER', 'SLOTS'));
    expect(slots).not.toContain(replica.id);
    expect(String(await onPrimary('CLUSTER', 'INFO'))).toContain('cluster_state:ok');
    await running.restart(replica.id);
    expect(replica.emulator.database(0).has('k')).toBe(true);
    expect(replica.emulator.changeLog.logId).toBe(primary.emulator.changeLog.logId);
    expect(JSON.stringify(await onPrimary('CLUSTER', 'SLOTS'))).toContain(replica.id);
  });

  it('reports its node timeout as Redis does (CONFIG GET cluster-node-timeout), default 1000 ms', async () => {
    const running = await start({ replicas: 0 });
    const send = await open(running.nodes[0] as EmulatorClusterNode, 3);
    expect(await send('CONFIG', 'GET', 'cluster-node-timeout')).toEqual(new Map([['cluster-node-timeout', '1000']]));
    expect(await send('CONFIG', 'GET', 'cluster-*')).toEqual(
      new Map([
        ['cluster-node-timeout', '1000'],
        ['cluster-require-full-coverage', 'yes'],
      ]),
    );
    expect(await send('CONFIG', 'GET', 'maxmemory')).toEqual(new Map());
  });

  it('refuses what makes no sense', async () => {
    const running = await start({ nodeTimeout: 60_000 });
    const { primary, replica } = shardOf(running, 'k');
    await expect(running.restart(primary.id)).rejects.toThrow(/running/);
    await running.kill(primary.id);
    await expect(running.kill(primary.id)).rejects.toThrow(/already down/);
    await expect(running.moveSlot(slotOf('k'), (running.nodes[1] as EmulatorClusterNode).id)).rejects.toThrow(/down/);
    expect(() => running.pauseReplication(primary.id)).toThrow(/not a replica/);
    expect(() => running.failover(replica.id, { force: true })).not.toThrow();
    await expect(startEmulatorCluster({ nodeTimeout: 0 })).rejects.toThrow(RangeError);
  });

  it('close() stops the failure timers and every listener of a cluster with a node down', async () => {
    const listeners = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    const before = listeners();
    const running = await startEmulatorCluster({ primaries: 2, replicas: 1, nodeTimeout: 20 });
    const replica = running.nodes.find((node) => node.primaryId === running.nodes[0]?.id) as EmulatorClusterNode;
    await running.kill((running.nodes[0] as EmulatorClusterNode).id);
    await running.close();
    // Had the timers outlived close(), the replica would be promoted 40 ms after the kill.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(replica.role).toBe('replica');
    expect(listeners()).toBeLessThanOrEqual(before);
  });
});
