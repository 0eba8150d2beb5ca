import {
  createFerrite,
  FerriteConnectionError,
  FerriteReplyError,
  readArray,
  readInteger,
  readText,
  slotOf,
  type Reply,
  type Transport,
  type WireCommand,
} from '@ferrite/core';
import { redisServerMissing, startRedisCluster, type RedisCluster } from '@ferrite/testkit';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRedisTransport } from './index.js';

const skip = redisServerMissing();

/** What the tests use of a plain node-redis client (its generic type differs per option set). */
interface DirectClient {
  sendCommand(args: string[]): Promise<unknown>;
  readonly isOpen: boolean;
  destroy(): void;
}

interface Node {
  readonly port: number;
  readonly id: string;
  /** A direct connection to this node only, to look at it from the side. */
  readonly direct: DirectClient;
  readonly ranges: Array<[number, number]>;
}

const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

describe.skipIf(Boolean(skip))('node-redis transport on a 3-node Redis Cluster', () => {
  let cluster: RedisCluster;
  let nodes: Node[];
  const clusterClients: Array<{ readonly isOpen: boolean; destroy(): void }> = [];

  /**
   * A cluster client that does not follow redirections unless asked to: through it, a command
   * the transport misroutes fails.
   */
  async function connectCluster(protocol: 2 | 3 = 3, followRedirections = false) {
    const first = cluster.nodes[0] as { host: string; port: number };
    const client = createCluster({
      rootNodes: [{ url: `redis://${first.host}:${first.port}` }],
      RESP: protocol,
      ...(followRedirections ? {} : { maxCommandRedirections: 0 }),
    });
    client.on('error', () => {});
    await client.connect();
    clusterClients.push(client);
    return client;
  }

  const ownerOf = (key: string): Node => {
    const slot = slotOf(key);
    const owner = nodes.find((node) => node.ranges.some(([start, end]) => slot >= start && slot <= end));
    if (!owner) throw new Error(`no node owns slot ${slot}`);
    return owner;
  };

  /** A key whose slot the given node owns. */
  const keyOn = (node: Node, prefix: string): string => {
    for (let i = 0; ; i++) if (ownerOf(`${prefix}:${i}`) === node) return `${prefix}:${i}`;
  };

  /** Redirections each node answered since the last reset (Redis counts error replies by prefix). */
  async function redirections(): Promise<number> {
    let total = 0;
    for (const node of nodes) {
      const stats = String(await node.direct.sendCommand(['INFO', 'errorstats']));
      for (const match of stats.matchAll(/errorstat_(?:MOVED|ASK):count=(\d+)/g)) total += Number(match[1]);
    }
    return total;
  }

  beforeAll(async () => {
    cluster = await startRedisCluster();
    nodes = [];
    for (const { host, port } of cluster.nodes) {
      const direct = createClient({ url: `redis://${host}:${port}` });
      direct.on('error', () => {});
      await direct.connect();
      nodes.push({ port, id: String(await direct.sendCommand(['CLUSTER', 'MYID'])), direct, ranges: [] });
    }
    const slots = (await nodes[0]?.direct.sendCommand(['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number, string]]>;
    for (const [start, end, [, , id]] of slots) nodes.find((node) => node.id === id)?.ranges.push([start, end]);
    for (const node of nodes) await node.direct.sendCommand(['CONFIG', 'RESETSTAT']);
  }, 60_000);

  afterAll(async () => {
    for (const client of clusterClients) if (client.isOpen) client.destroy();
    for (const node of nodes ?? []) if (node.direct.isOpen) node.direct.destroy();
    await cluster?.stop();
  });

  describe.each([2, 3] as const)('RESP%s', (protocol) => {
    let transport: Transport;

    beforeAll(async () => {
      transport = nodeRedisTransport(await connectCluster(protocol), { closeClient: true });
    });
    afterAll(async () => {
      await transport.close();
    });

    it('reports the protocol', () => {
      expect(transport.protocol).toBe(protocol);
    });

    it('writes and reads 1000 keys over every node, through send and a composed client, with zero redirections', async () => {
      const before = await redirections();
      const ferrite = createFerrite({ transport });
      const keys = Array.from({ length: 1000 }, (_, i) => `resp${protocol}:key:${i}`);
      // Raw standard commands without a routing key (the transport finds it with COMMAND INFO) …
      for (const key of keys) expect(await transport.send(cmd('SET', key, `value of ${key}`))).toBe('OK');
      for (const key of keys) expect(await ferrite.send('GET', key)).toBe(`value of ${key}`);
      for (const key of keys) expect(await ferrite.send('APPEND', key, '!')).toBe(`value of ${key}!`.length);
      // … and with an explicit routing key, as Ferrite's own commands carry it.
      for (const key of keys) {
        expect(await transport.send({ name: 'GET', args: [key], routingKey: key })).toBe(`value of ${key}!`);
      }
      // The keys really are spread: every node holds some, and together exactly these.
      const perNode = await Promise.all(nodes.map(async (node) => Number(await node.direct.sendCommand(['DBSIZE']))));
      expect(perNode.every((count) => count > 0)).toBe(true);
      for (const node of nodes) {
        const sample = keys.filter((key) => ownerOf(key) === node).slice(0, 20);
        for (const key of sample) expect(String(await node.direct.sendCommand(['GET', key]))).toBe(`value of ${key}!`);
      }
      expect(await redirections()).toBe(before);
    });

    it('sends a command node-redis does not know to the node owning its routing key', async () => {
      // The node that received it counts the error reply (what Ferrite's own commands get on a
      // server without the module); node-redis routes commands it knows by its own table.
      const errorsOn = async (node: Node): Promise<number> => Number(/errorstat_ERR:count=(\d+)/.exec(String(await node.direct.sendCommand(['INFO', 'errorstats'])))?.[1] ?? 0);
      for (const node of nodes) {
        const key = keyOn(node, `resp${protocol}:owner`);
        const before = await Promise.all(nodes.map(errorsOn));
        const error = await transport.send({ name: 'FERRITE.PROBE', args: [key], routingKey: key }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FerriteReplyError);
        expect(await Promise.all(nodes.map(errorsOn))).toEqual(before.map((count, index) => (nodes[index] === node ? count + 1 : count)));
        expect(await transport.send({ name: 'CLUSTER', args: ['KEYSLOT', key], routingKey: key })).toBe(slotOf(key));
      }
    });

    it('routes binary keys by their bytes, with or without an explicit routing key', async () => {
      for (let i = 0; i < 30; i++) {
        const key = Buffer.concat([Buffer.from(`resp${protocol}:bin:`), Buffer.from([0, 255, 13, 10, i])]);
        const value = Buffer.from([255, 0, i]);
        expect(await transport.send({ name: 'SET', args: [key, value] })).toBe('OK');
        expect(await transport.send({ name: 'GET', args: [key], routingKey: key, binary: true })).toEqual(value);
      }
    });

    it('routes scripts by their first key, and keyless commands to a primary', async () => {
      for (const node of nodes) {
        const key = keyOn(node, `resp${protocol}:script`);
        const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])";
        expect(await transport.send(cmd('EVAL', script, '1', key, 'scripted'))).toBe('scripted');
      }
      expect(await transport.send(cmd('PING'))).toBe('PONG');
      expect(await transport.send(cmd('EVAL', 'return 7', '0'))).toBe(7);
    });

    it('pipelines a batch per node and puts the replies back in order, a failing command included', async () => {
      const before = await redirections();
      const keys = nodes.flatMap((node) => [keyOn(node, `resp${protocol}:batch-a`), keyOn(node, `resp${protocol}:batch-b`)]);
      const commands: WireCommand[] = [];
      for (const key of keys) commands.push(cmd('SET', key, '1'), cmd('INCR', key));
      commands.splice(3, 0, { name: 'LPUSH', args: [keys[0] as string, 'x'], routingKey: keys[0] as string });
      for (const key of keys) commands.push({ name: 'GET', args: [key], routingKey: key });
      const entries = await transport.batch(commands);
      const expected: Array<Reply | 'error'> = [];
      for (const _ of keys) expected.push('OK', 2);
      expected.splice(3, 0, 'error');
      for (const _ of keys) expected.push('2');
      expect(entries.map((entry) => (entry.ok ? entry.value : 'error'))).toEqual(expected);
      const failed = entries[3];
      expect(failed?.ok === false && failed.error instanceof FerriteReplyError && failed.error.kind).toBe('wrongtype');
      expect(await redirections()).toBe(before);
    });

    it('opens a dedicated connection to the primary owning the routing key', async () => {
      for (const node of nodes) {
        const key = keyOn(node, `resp${protocol}:dedicated`);
        await using dedicated = await transport.dedicated({ routingKey: key });
        expect(await dedicated.send(cmd('CLUSTER', 'MYID'))).toBe(node.id);
        expect(await dedicated.send(cmd('BLPOP', key, '0.01'))).toBeNull();
      }
      await using any = await transport.dedicated();
      expect(nodes.map((node) => node.id)).toContain(await any.send(cmd('CLUSTER', 'MYID')));
    });

    it('follows one MOVED for a misrouted command, which the nodes count (what makes the count above meaningful)', async () => {
      const [home, other] = nodes as [Node, Node];
      const key = keyOn(home, `resp${protocol}:misrouted`);
      await transport.send(cmd('SET', key, 'here'));
      const before = await redirections();
      const reply = await transport.send({ name: 'GET', args: [key], routingKey: keyOn(other, `resp${protocol}:elsewhere`) });
      expect(reply).toBe('here');
      expect(await redirections()).toBe(before + 1);
    });
  });

  it('leaves the cluster client open after close by default, closes it with closeClient: true', async () => {
    const kept = await connectCluster();
    const keptTransport = nodeRedisTransport(kept);
    await using dedicated = await keptTransport.dedicated();
    expect(await keptTransport.send(cmd('PING'))).toBe('PONG');
    await keptTransport.close();
    expect(kept.isOpen).toBe(true);
    expect(await kept.sendCommand(undefined, true, ['PING'])).toBe('PONG');
    await expect(keptTransport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(keptTransport.batch([cmd('PING')])).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(keptTransport.dedicated()).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(dedicated.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);

    const owned = await connectCluster();
    const ownedTransport = nodeRedisTransport(owned, { closeClient: true });
    expect(await ownedTransport.send(cmd('PING'))).toBe('PONG');
    await ownedTransport.close();
    await ownedTransport.close();
    expect(owned.isOpen).toBe(false);
  });

  it('rejects commands on a cluster client that is not connected, without connecting it', async () => {
    const first = cluster.nodes[0] as { host: string; port: number };
    const unconnected = createCluster({ rootNodes: [{ url: `redis://${first.host}:${first.port}` }] });
    const transport = nodeRedisTransport(unconnected);
    await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(transport.send({ name: 'GET', args: ['k'], routingKey: 'k' })).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(transport.dedicated()).rejects.toBeInstanceOf(FerriteConnectionError);
    expect(unconnected.isOpen).toBe(false);
  });

  it('answers keyless cluster commands with their nested replies', async () => {
    const transport = nodeRedisTransport(await connectCluster());
    const key = keyOn(nodes[1] as Node, 'helpers');
    expect(readInteger(await transport.send({ name: 'CLUSTER', args: ['KEYSLOT', key], routingKey: null }))).toBe(slotOf(key));
    const shards = readArray(await transport.send({ name: 'CLUSTER', args: ['SLOTS'], routingKey: null }));
    expect(shards.length).toBeGreaterThanOrEqual(3);
    expect(readText(readArray(readArray(shards[0] as Reply)[2] as Reply)[2] as Reply)).toMatch(/^[0-9a-f]{40}$/);
    await transport.close();
  });

  // Last: it moves a slot, which the helpers above do not expect.
  it('follows a slot to its new owner after a resharding, then goes there directly', async () => {
    const transport = nodeRedisTransport(await connectCluster(3, true));
    const [from, to] = nodes as [Node, Node];
    let key = '';
    for (let i = 0; !key; i++) {
      const candidate = keyOn(from, `moving:${i}`);
      if (Number(await from.direct.sendCommand(['CLUSTER', 'COUNTKEYSINSLOT', String(slotOf(candidate))])) === 0) key = candidate;
    }
    const slot = String(slotOf(key));
    expect(await transport.send(cmd('SET', key, 'before'))).toBe('OK');
    await transport.send({ name: 'DEL', args: [key], routingKey: key });
    // An empty slot can be handed over at once: every node learns the new owner, in a new epoch.
    await to.direct.sendCommand(['CLUSTER', 'BUMPEPOCH']);
    for (const node of nodes) await node.direct.sendCommand(['CLUSTER', 'SETSLOT', slot, 'NODE', to.id]);

    const before = await redirections();
    // node-redis still maps the slot to the old owner: its MOVED sends the command the driver's way.
    expect(await transport.send({ name: 'SET', args: [key, 'after'], routingKey: key })).toBe('OK');
    expect(String(await to.direct.sendCommand(['GET', key]))).toBe('after');
    const afterMove = await redirections();
    expect(afterMove).toBeGreaterThan(before);
    // The driver refreshed its slot map: from now on, straight to the new owner.
    for (let i = 0; i < 20; i++) expect(await transport.send({ name: 'GET', args: [key], routingKey: key })).toBe('after');
    const entries = await transport.batch([{ name: 'GET', args: [key], routingKey: key }]);
    expect(entries).toEqual([{ ok: true, value: 'after' }]);
    expect(await redirections()).toBe(afterMove);
    await transport.close();
  });
});
