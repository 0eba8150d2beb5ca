import { slotOf } from '@ferrite/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../engine/testing/eventually.js';
import { RawRespClient, plain } from '../engine/testing/raw-client.js';
import type { RespValue } from '../engine/testing/raw-client.js';
import { startEmulatorCluster } from './start.js';
import type { EmulatorClusterNode, RunningEmulatorCluster } from './start.js';

/** Raw RESP against a 3-primary, 1-replica-each emulator cluster: every CLUSTER subcommand and redirect. */
let cluster: RunningEmulatorCluster;
const clients: RawRespClient[] = [];

async function connect(node: EmulatorClusterNode): Promise<RawRespClient> {
  const client = await RawRespClient.connect(node.port);
  clients.push(client);
  return client;
}

const primaries = () => cluster.nodes.filter((node) => node.role === 'primary');
/** The primary that owns `slot` before any move (0-5460, 5461-10922, 10923-16383). */
const ownerIndex = (slot: number) => (slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);
const primaryOf = (key: string) => primaries()[ownerIndex(slotOf(key))] as EmulatorClusterNode;
const otherPrimary = (key: string) => primaries()[(ownerIndex(slotOf(key)) + 1) % 3] as EmulatorClusterNode;
const replicaOf = (node: EmulatorClusterNode) => cluster.nodes.find((candidate) => candidate.primaryId === node.id) as EmulatorClusterNode;
const errorText = (reply: RespValue) => (reply.type === 'error' ? reply.value : `not an error: ${JSON.stringify(plain(reply))}`);
const vector = (...values: number[]) => Buffer.from(new Float32Array(values).buffer);

beforeAll(async () => {
  cluster = await startEmulatorCluster({ primaries: 3, replicas: 1 });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(async () => {
  await cluster.close();
});

describe('startEmulatorCluster', () => {
  it('starts primaries first, then one replica per primary, each with its own id and port', () => {
    expect(cluster.nodes.map((node) => node.role)).toEqual(['primary', 'primary', 'primary', 'replica', 'replica', 'replica']);
    expect(new Set(cluster.nodes.map((node) => node.id)).size).toBe(6);
    expect(new Set(cluster.nodes.map((node) => node.port)).size).toBe(6);
    for (const node of cluster.nodes) {
      expect(node.id).toMatch(/^[0-9a-f]{40}$/);
      expect(node.url).toBe(`redis://127.0.0.1:${node.port}`);
    }
    expect(cluster.url).toBe(cluster.nodes[0]?.url);
    for (const [index, replica] of cluster.nodes.slice(3).entries()) expect(replica.primaryId).toBe(cluster.nodes[index]?.id);
  });

  it('rejects bad options and bad moves', async () => {
    await expect(startEmulatorCluster({ primaries: 0 })).rejects.toThrow(/primaries/);
    await expect(cluster.moveSlot(16384, cluster.nodes[0]?.id as string)).rejects.toThrow(/slot/);
    await expect(cluster.moveSlot(1, 'nope')).rejects.toThrow(/no node/);
    await expect(cluster.moveSlot(1, cluster.nodes[3]?.id as string)).rejects.toThrow(/replica/);
  });
});

describe('CLUSTER subcommands', () => {
  it('CLUSTER SLOTS lists each range with its primary then its replicas, as Redis 7 (RESP2 and RESP3)', async () => {
    const [a, b, c] = primaries() as [EmulatorClusterNode, EmulatorClusterNode, EmulatorClusterNode];
    const entry = (node: EmulatorClusterNode) => ['127.0.0.1', node.port, node.id, []];
    const client = await connect(replicaOf(b));
    const resp2 = await client.send('CLUSTER', 'SLOTS');
    expect(plain(resp2)).toEqual([
      [0, 5460, entry(a), entry(replicaOf(a))],
      [5461, 10922, entry(b), entry(replicaOf(b))],
      [10923, 16383, entry(c), entry(replicaOf(c))],
    ]);
    await client.send('HELLO', '3');
    const resp3 = await client.send('cluster', 'slots');
    // The networking metadata is an empty map in RESP3 (`%0`), an empty array in RESP2 (`*0`).
    const first = resp3.type === 'array' ? resp3.items?.[0] : undefined;
    const node = first?.type === 'array' ? first.items?.[2] : undefined;
    expect(node?.type === 'array' ? node.items?.[3] : undefined).toEqual({ type: 'map', entries: [] });
  });

  it('CLUSTER SHARDS describes every shard with its slots and nodes', async () => {
    const client = await connect(primaries()[0] as EmulatorClusterNode);
    await client.send('HELLO', '3');
    const shards = plain(await client.send('CLUSTER', 'SHARDS')) as Array<Map<string, unknown>>;
    expect(shards).toHaveLength(3);
    const [a] = primaries() as [EmulatorClusterNode];
    const shard = shards.find((candidate) => (candidate.get('nodes') as Array<Map<string, unknown>>)[0]?.get('id') === a.id) as Map<string, unknown>;
    expect(shard.get('slots')).toEqual([0, 5460]);
    const [primary, replica] = shard.get('nodes') as Array<Map<string, unknown>>;
    expect([...(primary as Map<string, unknown>).keys()]).toEqual(['id', 'port', 'ip', 'endpoint', 'role', 'replication-offset', 'health']);
    expect(primary?.get('port')).toBe(a.port);
    expect(primary?.get('role')).toBe('master');
    expect(primary?.get('health')).toBe('online');
    expect(replica?.get('id')).toBe(replicaOf(a).id);
    expect(replica?.get('role')).toBe('replica');
  });

  it('CLUSTER NODES has one line per node in Redis 7 format, myself flagged', async () => {
    const replica = replicaOf(primaries()[1] as EmulatorClusterNode);
    const client = await connect(replica);
    const text = plain(await client.send('CLUSTER', 'NODES')) as string;
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    const [a] = primaries() as [EmulatorClusterNode];
    const primaryLine = lines.find((line) => line.startsWith(a.id)) as string;
    expect(primaryLine).toMatch(new RegExp(`^${a.id} 127\\.0\\.0\\.1:${a.port}@\\d+ master - 0 \\d+ \\d+ connected 0-5460$`));
    const myLine = lines.find((line) => line.startsWith(replica.id)) as string;
    expect(myLine).toMatch(new RegExp(`^${replica.id} 127\\.0\\.0\\.1:${replica.port}@\\d+ myself,slave ${replica.primaryId} 0 \\d+ \\d+ connected$`));
  });

  it('CLUSTER INFO and NODES are verbatim strings in RESP3, as in Redis 7', async () => {
    const client = await connect(primaries()[0] as EmulatorClusterNode);
    expect((await client.send('CLUSTER', 'INFO')).type).toBe('bulk');
    await client.send('HELLO', '3');
    const info = await client.send('CLUSTER', 'INFO');
    expect(info.type === 'verbatim' ? info.format : info.type).toBe('txt');
    expect(plain(info)).toMatch(/^cluster_state:ok\r\n/);
    const nodes = await client.send('CLUSTER', 'NODES');
    expect(nodes.type === 'verbatim' ? nodes.format : nodes.type).toBe('txt');
  });

  it('CLUSTER INFO, MYID and KEYSLOT', async () => {
    const node = primaries()[2] as EmulatorClusterNode;
    const client = await connect(node);
    const info = plain(await client.send('CLUSTER', 'INFO')) as string;
    expect(info).toMatch(/^cluster_state:ok\r\n/);
    expect(info).toContain('cluster_slots_assigned:16384\r\n');
    expect(info).toContain('cluster_known_nodes:6\r\n');
    expect(info).toContain('cluster_size:3\r\n');
    expect(info.endsWith('\r\n')).toBe(true);
    expect(plain(await client.send('CLUSTER', 'MYID'))).toBe(node.id);
    // Values from a real Redis 7 cluster.
    expect(plain(await client.send('CLUSTER', 'KEYSLOT', 'foo'))).toBe(12182);
    expect(plain(await client.send('CLUSTER', 'KEYSLOT', '{user}x'))).toBe(5474);
    expect(errorText(await client.send('CLUSTER', 'KEYSLOT'))).toBe("ERR wrong number of arguments for 'cluster|keyslot' command");
    expect(errorText(await client.send('CLUSTER', 'SLOTS', 'x'))).toBe("ERR wrong number of arguments for 'cluster|slots' command");
    expect(errorText(await client.send('CLUSTER', 'FOO'))).toBe("ERR unknown subcommand 'FOO'. Try CLUSTER HELP.");
    expect(errorText(await client.send('CLUSTER'))).toBe("ERR wrong number of arguments for 'cluster' command");
  });

  it('CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT read the node’s own keys', async () => {
    const key = '{countkeys}a';
    const node = primaryOf(key);
    const client = await connect(node);
    await client.send('SET', key, '1');
    await client.send('SET', '{countkeys}b', '2');
    const slot = slotOf(key);
    expect(plain(await client.send('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(2);
    expect(plain(await client.send('CLUSTER', 'GETKEYSINSLOT', slot, 1))).toHaveLength(1);
    expect(errorText(await client.send('CLUSTER', 'COUNTKEYSINSLOT', 16384))).toBe('ERR Invalid or out of range slot');
  });

  it('HELLO and INFO report cluster mode and the role', async () => {
    const replica = await connect(cluster.nodes[3] as EmulatorClusterNode);
    const hello = plain(await replica.send('HELLO', '3')) as Map<string, unknown>;
    expect(hello.get('mode')).toBe('cluster');
    expect(hello.get('role')).toBe('replica');
    const info = plain(await replica.send('INFO')) as string;
    expect(info).toContain('redis_mode:cluster');
    expect(info).toContain('cluster_enabled:1');
    expect(info).toContain('role:slave');
  });
});

describe('redirects', () => {
  it('MOVED names the slot and its owner for keyed commands, extension commands by their first argument', async () => {
    for (const [name, args] of [
      ['GET', ['moved:key']],
      ['SET', ['moved:key', 'v']],
      ['VECTOR.SEARCH', ['moved:index', vector(1, 0)]],
      ['VECTOR.INDEX.CREATE', ['moved:index', 'DIM', '2']],
      ['SEMANTIC.GET', ['moved:ns', 'hello']],
      ['CRDT.COUNTER.INCR', ['moved:counter', '1']],
    ] as const) {
      const key = args[0];
      const client = await connect(otherPrimary(key));
      const owner = primaryOf(key);
      expect(errorText(await client.send(name, ...args))).toBe(`MOVED ${slotOf(key)} 127.0.0.1:${owner.port}`);
    }
  });

  it('CDC.* and VECTOR.INDEX.LIST are node-local: no redirect anywhere', async () => {
    for (const node of cluster.nodes) {
      const client = await connect(node);
      expect(plain(await client.send('VECTOR.INDEX.LIST'))).toEqual(expect.any(Array));
      expect((await client.send('CDC.INFO')).type).not.toBe('error');
    }
  });

  it('CROSSSLOT for multi-key commands and transactions across slots; hash tags co-locate', async () => {
    const client = await connect(primaryOf('{tag}a'));
    const crossslot = "CROSSSLOT Keys in request don't hash to the same slot";
    expect(errorText(await client.send('MSET', 'a', '1', 'b', '2'))).toBe(crossslot);
    expect(errorText(await client.send('MGET', '{tag}a', 'other'))).toBe(crossslot);
    expect(plain(await client.send('MSET', '{tag}a', '1', '{tag}b', '2'))).toBe('+OK');
    expect(plain(await client.send('MGET', '{tag}a', '{tag}b'))).toEqual(['1', '2']);
    // EXEC checks every queued command together, as Redis does.
    const node = primaryOf('{tag}a');
    const sameNode = [keyOn(node, 'tx1:'), keyOn(node, 'tx2:')];
    expect(slotOf(sameNode[0] as string)).not.toBe(slotOf(sameNode[1] as string));
    await client.send('MULTI');
    expect(plain(await client.send('GET', sameNode[0] as string))).toBe('+QUEUED');
    expect(plain(await client.send('GET', sameNode[1] as string))).toBe('+QUEUED');
    expect(errorText(await client.send('EXEC'))).toBe(crossslot);
    expect(errorText(await client.send('EXEC'))).toBe('ERR EXEC without MULTI');
  });

  it('a MOVED inside MULTI dooms the transaction (EXECABORT)', async () => {
    const client = await connect(primaryOf('tx:{here}'));
    await client.send('MULTI');
    expect(errorText(await client.send('GET', keyNotOn(primaryOf('tx:{here}'), 'tx:')))).toMatch(/^MOVED /);
    expect(errorText(await client.send('EXEC'))).toBe('EXECABORT Transaction discarded because of previous errors.');
  });

  it('SELECT other than 0 is refused in cluster mode', async () => {
    const client = await connect(cluster.nodes[0] as EmulatorClusterNode);
    expect(errorText(await client.send('SELECT', '1'))).toBe('ERR SELECT is not allowed in cluster mode');
    expect(plain(await client.send('SELECT', '0'))).toBe('+OK');
  });

  it('counts the redirects each node sends (node.redirects, INFO errorstats, CONFIG RESETSTAT)', async () => {
    const node = otherPrimary('counted');
    const client = await connect(node);
    expect(plain(await client.send('CONFIG', 'RESETSTAT'))).toBe('+OK');
    expect(node.redirects.moved).toBe(0);
    expect(plain(await client.send('INFO', 'errorstats'))).toBe('# Errorstats\r\n');
    await client.send('GET', 'counted');
    await client.send('GET', 'counted');
    expect(node.redirects.moved).toBe(2);
    expect(plain(await client.send('INFO', 'errorstats'))).toBe('# Errorstats\r\nerrorstat_MOVED:count=2\r\n');
  });
});

/** A key with `prefix` whose slot `node` owns. */
function keyOn(node: EmulatorClusterNode, prefix: string): string {
  for (let i = 0; ; i++) if (primaryOf(`${prefix}${i}`) === node) return `${prefix}${i}`;
}

/** A key with `prefix` whose slot `node` does not own. */
function keyNotOn(node: EmulatorClusterNode, prefix: string): string {
  for (let i = 0; ; i++) if (primaryOf(`${prefix}${i}`) !== node) return `${prefix}${i}`;
}

describe('replicas', () => {
  it('follow their primary asynchronously and serve reads after READONLY; writes get MOVED', async () => {
    const key = '{replicated}key';
    const primary = primaryOf(key);
    const writer = await connect(primary);
    await writer.send('SET', key, 'v1');
    await writer.send('VECTOR.INDEX.CREATE', '{replicated}idx', 'DIM', '2');
    await writer.send('VECTOR.ADD', '{replicated}idx', 'a', vector(1, 0));
    await writer.send('CRDT.COUNTER.INCR', '{replicated}counter', '5');
    const reader = await connect(replicaOf(primary));
    const moved = `MOVED ${slotOf(key)} 127.0.0.1:${primary.port}`;
    expect(errorText(await reader.send('GET', key))).toBe(moved);
    expect(plain(await reader.send('READONLY'))).toBe('+OK');
    await eventually(() => reader.send('GET', key).then(plain), (value) => value === 'v1', 'the replica to see the write');
    expect(plain(await reader.send('CRDT.COUNTER.GET', '{replicated}counter'))).toBe(5);
    expect(plain(await reader.send('VECTOR.GET', '{replicated}idx', 'a'))).not.toBeNull();
    expect(errorText(await reader.send('SET', key, 'v2'))).toBe(moved);
    expect(errorText(await reader.send('FLUSHALL'))).toBe("READONLY You can't write against a read only replica.");
    await writer.send('SET', key, 'v3');
    await eventually(() => reader.send('GET', key).then(plain), (value) => value === 'v3', 'the replica to see the second write');
    expect(plain(await reader.send('READWRITE'))).toBe('+OK');
    expect(errorText(await reader.send('GET', key))).toBe(moved);
  });
});

describe('change logs', () => {
  it('each primary logs only the writes of the slots it owns', async () => {
    const keys = ['cdc:a', 'cdc:b', 'cdc:c', 'cdc:d', 'cdc:e', 'cdc:f'];
    for (const key of keys) {
      const client = await connect(primaryOf(key));
      expect(plain(await client.send('SET', key, 'v'))).toBe('+OK');
    }
    for (const node of primaries()) {
      const log = node.emulator.changeLog;
      const logged: string[] = [];
      for (let id = log.firstId; id <= log.lastId; id++) {
        const event = log.get(id);
        if (event !== undefined && event.key.startsWith('cdc:')) logged.push(event.key);
      }
      expect(logged.sort()).toEqual(keys.filter((key) => primaryOf(key) === node).sort());
    }
  });
});

describe('moveSlot', () => {
  it('moves keys and extension data with ASK while migrating, TRYAGAIN for split multi-key requests, then MOVED', async () => {
    const tag = '{moving}';
    const slot = slotOf(tag);
    const source = primaryOf(tag);
    const target = otherPrimary(tag);
    const keys = [`${tag}k1`, `${tag}k2`, `${tag}k3`, `${tag}k4`];
    const writer = await connect(source);
    for (const key of keys) await writer.send('SET', key, `value of ${key}`);
    await writer.send('PEXPIRE', keys[3] as string, 600_000);
    await writer.send('HSET', `${tag}hash`, 'field', 'x');
    await writer.send('VECTOR.INDEX.CREATE', `${tag}idx`, 'DIM', '2', 'DISTANCE', 'L2');
    await writer.send('VECTOR.ADD', `${tag}idx`, 'near', vector(1, 0), 'color', 'red');
    await writer.send('VECTOR.ADD', `${tag}idx`, 'far', vector(9, 9));
    await writer.send('SEMANTIC.SET', `${tag}ns`, 'what is the capital of france', 'Paris');
    await writer.send('CRDT.COUNTER.INCR', `${tag}counter`, '7', 'ID', 'op-1');
    await writer.send('CRDT.SET.ADD', `${tag}set`, 'a', 'b');
    const sourceDb = source.emulator.database(0);

    const move = cluster.moveSlot(slot, target.id, { itemsPerStep: 1, stepDelayMs: 250 });
    await eventually(() => sourceDb.has(keys[0] as string), (present) => !present, 'the first key to move');
    const fromSource = await connect(source);
    const fromTarget = await connect(target);
    const ask = `ASK ${slot} 127.0.0.1:${target.port}`;
    const moved = `MOVED ${slot} 127.0.0.1:${source.port}`;
    // A moved key: the owner says ASK; the target says MOVED back unless the client sent ASKING.
    expect(errorText(await fromSource.send('GET', keys[0] as string))).toBe(ask);
    expect(errorText(await fromTarget.send('GET', keys[0] as string))).toBe(moved);
    expect(plain(await fromTarget.send('ASKING'))).toBe('+OK');
    expect(plain(await fromTarget.send('GET', keys[0] as string))).toBe(`value of ${keys[0]}`);
    // ASKING holds for one command only.
    expect(errorText(await fromTarget.send('GET', keys[0] as string))).toBe(moved);
    // A key not moved yet is still served by the owner; a new key goes to the target.
    expect(plain(await fromSource.send('GET', keys[3] as string))).toBe(`value of ${keys[3]}`);
    expect(errorText(await fromSource.send('SET', `${tag}new`, 'n'))).toBe(ask);
    await fromTarget.send('ASKING');
    expect(plain(await fromTarget.send('SET', `${tag}new`, 'n'))).toBe('+OK');
    // Some keys here, some there: neither node can serve it now.
    expect(errorText(await fromSource.send('MGET', keys[0] as string, keys[3] as string))).toBe('TRYAGAIN Multiple keys request during rehashing of slot');
    const nodesLine = (plain(await fromSource.send('CLUSTER', 'NODES')) as string).split('\n').find((line) => line.includes('myself')) as string;
    expect(nodesLine).toContain(`[${slot}->-${target.id}]`);
    const targetLine = (plain(await fromTarget.send('CLUSTER', 'NODES')) as string).split('\n').find((line) => line.includes('myself')) as string;
    expect(targetLine).toContain(`[${slot}-<-${source.id}]`);

    // Extension data moves too, with the same redirects.
    const targetVectors = () => fromTarget.send('ASKING').then(() => fromTarget.send('VECTOR.INDEX.INFO', `${tag}idx`));
    await eventually(targetVectors, (reply) => reply.type !== 'error', 'the vector index to move');
    expect(errorText(await fromSource.send('VECTOR.SEARCH', `${tag}idx`, vector(1, 0), 'TOP_K', '1'))).toBe(ask);
    expect(errorText(await fromTarget.send('VECTOR.SEARCH', `${tag}idx`, vector(1, 0), 'TOP_K', '1'))).toBe(moved);
    await fromTarget.send('ASKING');
    const hits = plain(await fromTarget.send('VECTOR.SEARCH', `${tag}idx`, vector(1, 0), 'TOP_K', '1')) as unknown[];
    expect(JSON.stringify(hits)).toContain('near');

    await move;
    const newOwner = `MOVED ${slot} 127.0.0.1:${target.port}`;
    expect(errorText(await fromSource.send('GET', keys[0] as string))).toBe(newOwner);
    expect(errorText(await fromSource.send('CRDT.COUNTER.GET', `${tag}counter`))).toBe(newOwner);
    for (const key of keys) expect(plain(await fromTarget.send('GET', key))).toBe(`value of ${key}`);
    expect(plain(await fromTarget.send('GET', `${tag}new`))).toBe('n');
    const ttl = plain(await fromTarget.send('PTTL', keys[3] as string)) as number;
    expect(ttl).toBeGreaterThan(500_000);
    expect(plain(await fromTarget.send('HGET', `${tag}hash`, 'field'))).toBe('x');
    expect(JSON.stringify(plain(await fromTarget.send('VECTOR.GET', `${tag}idx`, 'near')))).toContain('red');
    expect(plain(await fromTarget.send('SEMANTIC.GET', `${tag}ns`, 'what is the capital of france'))).not.toBeNull();
    // The op-id moved with the counter: a retried increment is still applied once.
    expect(plain(await fromTarget.send('CRDT.COUNTER.INCR', `${tag}counter`, '7', 'ID', 'op-1'))).toBe(7);
    expect(new Set(plain(await fromTarget.send('CRDT.SET.MEMBERS', `${tag}set`)) as string[])).toEqual(new Set(['a', 'b']));
    expect(sourceDb.keys().filter((key) => key.startsWith(tag))).toEqual([]);
    // The slot shows in the new owner's CLUSTER SLOTS range, and writes now land in its change log.
    const slots = plain(await fromSource.send('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    expect(slots.find(([start, end]) => start <= slot && slot <= end)?.[2][1]).toBe(target.port);
    const lastId = target.emulator.changeLog.lastId;
    await fromTarget.send('SET', keys[0] as string, 'after');
    expect(target.emulator.changeLog.get(lastId + 1)?.key).toBe(keys[0]);

    // Replicas follow the move: the new owner's replica serves the slot's data after READONLY.
    const replica = await connect(replicaOf(target));
    await replica.send('READONLY');
    await eventually(() => replica.send('GET', keys[0] as string).then(plain), (value) => value === 'after', 'the target replica');
    expect(plain(await replica.send('CRDT.COUNTER.GET', `${tag}counter`))).toBe(7);
    expect(replicaOf(source).emulator.database(0).keys().filter((key) => key.startsWith(tag))).toEqual([]);
  });
});
