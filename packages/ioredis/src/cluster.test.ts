import { createFerrite, isReplyError, slotOf, type Reply, type Transport, type WireCommand } from '@ferrite/core';
import { redisServerMissing, startRedisCluster, type RedisCluster } from '@ferrite/testkit';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ioredisTransport } from './index.js';

const skip = redisServerMissing();
/** 1000 keys spread over every slot range; each test writes its own (its own prefix) before reading. */
const keysOf = (prefix: string): string[] => Array.from({ length: 1000 }, (_, i) => `${prefix}:${i}`);
const KEYS = keysOf('spread');

interface Owner {
  readonly port: number;
  readonly id: string;
}

describe.skipIf(Boolean(skip))('cluster: every command goes to the primary owning its slot', () => {
  let cluster: RedisCluster;
  /** A plain connection to each node, to look at the nodes behind the transport's back. */
  let probes: Map<number, Redis>;
  let owners: Owner[];
  let client: Cluster;
  let transport: Transport;

  const newClient = () =>
    // maxRedirections 0: were anything to go through ioredis' own routing and hit the wrong
    // node, it would fail instead of being quietly redirected.
    new Cluster(cluster.nodes.map((node) => ({ host: node.host, port: node.port })), { maxRedirections: 0 });

  const movedReplies = async (): Promise<number> => {
    let total = 0;
    for (const probe of probes.values()) {
      const stats = String(await probe.call('INFO', 'errorstats'));
      total += Number(/errorstat_MOVED:count=(\d+)/.exec(stats)?.[1] ?? 0);
    }
    return total;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    probes = new Map(cluster.nodes.map((node) => [node.port, new Redis({ host: node.host, port: node.port })]));
    owners = new Array(16384);
    const slots = (await (probes.values().next().value as Redis).call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
    for (const [start, end, [, port, id]] of slots) for (let slot = start; slot <= end; slot++) owners[slot] = { port, id };
    client = newClient();
    transport = ioredisTransport(client);
  }, 60_000);

  afterAll(async () => {
    await transport?.close();
    client?.disconnect();
    for (const probe of probes?.values() ?? []) probe.disconnect();
    await cluster?.stop();
  });

  beforeEach(async () => {
    for (const probe of probes.values()) await probe.call('CONFIG', 'RESETSTAT');
  });

  const ownerOf = (key: string): Owner => owners[slotOf(key)] as Owner;

  it('counts MOVED replies on the nodes (the measure the other tests rely on)', async () => {
    const key = KEYS[0] as string;
    const wrong = [...probes.entries()].find(([port]) => port !== ownerOf(key).port)?.[1] as Redis;
    await expect(wrong.call('GET', key)).rejects.toThrow(/^MOVED/);
    expect(await movedReplies()).toBe(1);
  });

  it('writes and reads 1000 keys over all three nodes through send, with no MOVED', async () => {
    const KEYS = keysOf('send');
    await Promise.all(KEYS.map((key) => transport.send({ name: 'SET', args: [key, `value of ${key}`] })));
    const values = await Promise.all(KEYS.map((key) => transport.send({ name: 'GET', args: [key] })));
    expect(values).toEqual(KEYS.map((key) => `value of ${key}`));
    expect(await movedReplies()).toBe(0);

    // Each node holds exactly the keys of the slots it owns.
    for (const [port, probe] of probes) {
      const expected = KEYS.filter((key) => ownerOf(key).port === port).length;
      expect(expected).toBeGreaterThan(200);
      expect(((await probe.call('KEYS', 'send:*')) as string[]).length).toBe(expected);
    }
  });

  it('serves a createFerrite client over the cluster transport, with no MOVED', async () => {
    const ferrite = createFerrite({ transport });
    const KEYS = keysOf('ferrite');
    for (const key of KEYS) await ferrite.send('SET', key, `ferrite ${key}`);
    for (const key of KEYS.slice(0, 100)) expect(await ferrite.send('GET', key)).toBe(`ferrite ${key}`);
    expect(await ferrite.send('STRLEN', KEYS[999] as string)).toBe(`ferrite ${KEYS[999]}`.length);
    expect(await movedReplies()).toBe(0);
  });

  it('routes a command the driver sees as keyless by its explicit routingKey', async () => {
    // CLUSTER MYID names the node that answered: it must be the owner of the routing key's slot.
    for (const key of KEYS.slice(0, 60)) {
      const id = await transport.send({ name: 'CLUSTER', args: ['MYID'], routingKey: key });
      expect(id).toBe(ownerOf(key).id);
    }
    // A command unknown to ioredis, carrying its key like Ferrite's plugin commands do.
    const key = KEYS[7] as string;
    const error = await transport.send({ name: 'FERRITE.PROBE', args: [key], routingKey: key }).catch((e: unknown) => e);
    expect(isReplyError(error, 'unknown-command')).toBe(true);
    expect(await movedReplies()).toBe(0);
  });

  it('asks COMMAND INFO once for a command ioredis does not know and no routingKey', async () => {
    const commandInfoCalls = async (): Promise<number> => {
      let total = 0;
      for (const probe of probes.values()) {
        const stats = String(await probe.call('INFO', 'commandstats'));
        total += Number(/cmdstat_command\|info:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      }
      return total;
    };
    for (let i = 0; i < 3; i++) {
      const error = await transport.send({ name: 'FERRITE.UNKNOWN', args: [`k${i}`] }).catch((e: unknown) => e);
      expect(isReplyError(error, 'unknown-command')).toBe(true);
    }
    expect(await commandInfoCalls()).toBe(1);
    expect(await movedReplies()).toBe(0);
  });

  it('routes hash-tagged keys together and binary keys by their bytes', async () => {
    const tagged: WireCommand = { name: 'MSET', args: ['{user:1}:name', 'Ada', '{user:1}:age', '36'] };
    expect(await transport.send(tagged)).toBe('OK');
    expect(await transport.send({ name: 'MGET', args: ['{user:1}:name', '{user:1}:age'] })).toEqual(['Ada', '36']);
    const binaryKey = Buffer.from([0xff, 0x00, 0x7b, 0x7d, 0x0a]);
    expect(await transport.send({ name: 'SET', args: [binaryKey, 'bytes'] })).toBe('OK');
    expect(await transport.send({ name: 'GET', args: [binaryKey] })).toBe('bytes');
    expect(await movedReplies()).toBe(0);
  });

  it('batches across nodes: pipelined per node, settled in order, a failure in the middle included', async () => {
    const commands: WireCommand[] = KEYS.slice(0, 30).flatMap((key, i): WireCommand[] =>
      i === 15
        ? [{ name: 'SET', args: [key, 'text'] }, { name: 'LPUSH', args: [key, 'x'] }]
        : [{ name: 'SET', args: [key, String(i)] }, { name: 'INCR', args: [key] }],
    );
    const entries = await transport.batch(commands);
    expect(entries).toHaveLength(commands.length);
    const expected: Reply[] = KEYS.slice(0, 30).flatMap((_, i) => (i === 15 ? ['OK'] : ['OK', i + 1]));
    expect(entries.filter((entry) => entry.ok).map((entry) => (entry.ok ? entry.value : null))).toEqual(expected);
    const failed = entries[31];
    expect(failed && !failed.ok && isReplyError(failed.error, 'wrongtype')).toBe(true);
    expect(new Set(KEYS.slice(0, 30).map((key) => ownerOf(key).port)).size).toBe(3);
    expect(await movedReplies()).toBe(0);
  });

  it('opens a dedicated connection to the primary owning the routing key', async () => {
    for (const key of KEYS.slice(0, 6)) {
      await transport.send({ name: 'SET', args: [key, 'here'] });
      await using dedicated = await transport.dedicated({ routingKey: key });
      expect(await dedicated.send({ name: 'CLUSTER', args: ['MYID'] })).toBe(ownerOf(key).id);
      expect(await dedicated.send({ name: 'GET', args: [key] })).toBe('here');
    }
    await using anywhere = await transport.dedicated();
    expect(owners.map((owner) => owner.id)).toContain(await anywhere.send({ name: 'CLUSTER', args: ['MYID'] }));
  });

  /** Moves an empty slot to another primary, as resharding would; returns a key of that slot. */
  const moveEmptySlot = async (prefix: string): Promise<{ key: string; to: Owner }> => {
    let key = '';
    for (let i = 0; !key; i++) {
      const candidate = `${prefix}:${i}`;
      const probe = probes.get(ownerOf(candidate).port) as Redis;
      if ((await probe.call('CLUSTER', 'COUNTKEYSINSLOT', String(slotOf(candidate)))) === 0) key = candidate;
    }
    const slot = String(slotOf(key));
    const to = owners.find((owner) => owner.port !== ownerOf(key).port) as Owner;
    // The new owner first, then every other node, as redis-cli does.
    await (probes.get(to.port) as Redis).call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
    for (const [port, probe] of probes) if (port !== to.port) await probe.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
    owners[Number(slot)] = to;
    return { key, to };
  };

  it('follows a slot that moved to another primary: one MOVED, then the new owner', async () => {
    expect(await transport.send({ name: 'PING', args: [] })).toBe('PONG');
    const { key, to } = await moveEmptySlot('moving');
    expect(await transport.send({ name: 'SET', args: [key, 'moved'] })).toBe('OK');
    expect(await movedReplies()).toBe(1);
    expect(await (probes.get(to.port) as Redis).call('GET', key)).toBe('moved');
    // The new table serves the next commands directly.
    expect(await transport.send({ name: 'GET', args: [key] })).toBe('moved');
    expect(await movedReplies()).toBe(1);
  });

  it('sends the commands of a batch whose slot moved once more, keeping the order of replies', async () => {
    expect(await transport.send({ name: 'SET', args: [KEYS[3] as string, 'before'] })).toBe('OK'); // table loaded
    const { key, to } = await moveEmptySlot('moving-batch');
    const entries = await transport.batch([
      { name: 'SET', args: [KEYS[3] as string, 'stays'] },
      { name: 'SET', args: [key, 'moved in a batch'] },
      { name: 'GET', args: [key] },
    ]);
    expect(entries).toEqual([
      { ok: true, value: 'OK' },
      { ok: true, value: 'OK' },
      { ok: true, value: 'moved in a batch' },
    ]);
    expect(await (probes.get(to.port) as Redis).call('GET', key)).toBe('moved in a batch');
    expect(await movedReplies()).toBe(2);
  });

  it('reports the protocol the nodes speak', async () => {
    expect(transport.protocol).toBe(3);
    const resp2 = new Cluster(cluster.nodes.slice(0, 1).map((node) => ({ ...node })), { redisOptions: { protocol: 2 } });
    const transport2 = ioredisTransport(resp2, { closeClient: true });
    try {
      expect(await transport2.send({ name: 'HGETALL', args: ['{user:1}:nothing'] })).toEqual([]);
      await transport2.send({ name: 'HSET', args: ['{user:1}:h', 'f', 'v'] });
      expect(await transport2.send({ name: 'HGETALL', args: ['{user:1}:h'] })).toEqual(['f', 'v']);
      expect(await transport.send({ name: 'HGETALL', args: ['{user:1}:h'] })).toEqual(new Map([['f', 'v']]));
      expect(transport2.protocol).toBe(2);
    } finally {
      await transport2.close();
    }
    expect(resp2.status).toBe('end');
  });

  it('leaves the user cluster client open on close, and closes it with closeClient', async () => {
    const mine = newClient();
    const borrowed = ioredisTransport(mine);
    const key = 'client-stays-open';
    expect(await borrowed.send({ name: 'SET', args: [key, 'still mine'] })).toBe('OK');
    await borrowed.close();
    expect(await mine.get(key)).toBe('still mine');

    const owned = ioredisTransport(mine, { closeClient: true });
    expect(await owned.send({ name: 'PING', args: [] })).toBe('PONG');
    await owned.close();
    expect(mine.status).toBe('end');
  });

  it("reaches nodes behind NAT (the cluster's natMap), with the transport's slot table mapped the same way", async () => {
    // A plain TCP forwarder per node stands for the NAT: the nodes announce their own ports.
    const sockets = new Set<Socket>();
    const forwarders = await Promise.all(
      cluster.nodes.map(
        (node) =>
          new Promise<Server>((resolve) => {
            const server = createServer((socket) => {
              const upstream = connect({ host: node.host, port: node.port });
              sockets.add(socket).add(upstream);
              socket.on('error', () => upstream.destroy());
              upstream.on('error', () => socket.destroy());
              socket.pipe(upstream).pipe(socket);
            });
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    const natMap = Object.fromEntries(
      cluster.nodes.map((node, i) => [`${node.host}:${node.port}`, { host: '127.0.0.1', port: (forwarders[i]?.address() as AddressInfo).port }]),
    );
    const first = forwarders[0]?.address() as AddressInfo;
    const natted = new Cluster([{ host: '127.0.0.1', port: first.port }], { natMap, maxRedirections: 0 });
    const natTransport = ioredisTransport(natted, { closeClient: true });
    try {
      const ferrite = createFerrite({ transport: natTransport });
      for (const key of KEYS.slice(0, 50)) expect(await ferrite.send('SET', `nat:${key}`, key)).toBe('OK');
      expect(await movedReplies()).toBe(0);
    } finally {
      await natTransport.close();
      for (const server of forwarders) server.close();
      for (const socket of sockets) socket.destroy();
    }
  });
});
