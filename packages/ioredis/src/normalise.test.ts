import { readMap, type Reply, type Transport, type WireCommand } from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisTransport } from './index.js';

const skip = redisServerMissing();
const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

/**
 * The same commands through a RESP2 and a RESP3 transport must give the same reply (maps aside,
 * which are a `Map` in RESP3 and a flat array in RESP2). These are the reply types where ioredis
 * loses information unless the transport takes care: whole-valued doubles, booleans, big numbers.
 */
describe.skipIf(Boolean(skip))('normalisation is identical in RESP2 and RESP3', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const transports = {} as Record<2 | 3, Transport>;

  beforeAll(async () => {
    server = await startRedisServer();
    for (const protocol of [2, 3] as const) {
      const client = new Redis({ host: server.host, port: server.port, protocol });
      clients.push(client);
      transports[protocol] = ioredisTransport(client);
    }
    await transports[2].send(cmd('ZADD', 'scores', '3', 'whole', '0.1', 'tenth', '-2', 'negative'));
  });
  afterAll(async () => {
    for (const transport of Object.values(transports)) await transport.close();
    for (const client of clients) client.disconnect();
    await server?.stop();
  });

  const both = async (command: WireCommand): Promise<[Reply, Reply]> => [
    await transports[2].send(command),
    await transports[3].send(command),
  ];

  it('speaks the protocol each client asked for', () => {
    expect(transports[2].protocol).toBe(2);
    expect(transports[3].protocol).toBe(3);
  });

  it.each([
    ['ZSCORE of a whole score', cmd('ZSCORE', 'scores', 'whole'), '3'],
    ['ZSCORE of a fraction, with the digits Redis prints', cmd('ZSCORE', 'scores', 'tenth'), '0.10000000000000001'],
    ['ZMSCORE with a missing member', cmd('ZMSCORE', 'scores', 'whole', 'absent', 'negative'), ['3', null, '-2']],
    ['ZINCRBY to a whole score', cmd('ZINCRBY', 'scores', '0', 'whole'), '3'],
    ['ZADD INCR', cmd('ZADD', 'scores', 'INCR', '0', 'negative'), '-2'],
    ['ZADD without INCR (a count)', cmd('ZADD', 'scores', 'NX', '1', 'whole'), 0],
    ['ZCARD', cmd('ZCARD', 'scores'), 3],
    ['a boolean', cmd('DEBUG', 'PROTOCOL', 'true'), 1],
    ['a false boolean', cmd('DEBUG', 'PROTOCOL', 'false'), 0],
    ['a double', cmd('DEBUG', 'PROTOCOL', 'double'), '3.141'],
    ['a big number', cmd('DEBUG', 'PROTOCOL', 'bignum'), '1234567999999999999999999999999999999'],
    ['a null', cmd('DEBUG', 'PROTOCOL', 'null'), null],
    ['a verbatim string', cmd('DEBUG', 'PROTOCOL', 'verbatim'), 'This is a verbatim\nstring'],
  ])('%s', async (_label, command, expected) => {
    const [resp2, resp3] = await both(command);
    expect(resp2).toEqual(expected);
    expect(resp3).toEqual(expected);
  });

  it('gives scores in pairs as text: nested pairs in RESP3, flat in RESP2, as Redis sends them', async () => {
    const [resp2, resp3] = await both(cmd('ZRANGE', 'scores', '0', '-1', 'WITHSCORES'));
    expect(resp2).toEqual(['negative', '-2', 'tenth', '0.10000000000000001', 'whole', '3']);
    expect(resp3).toEqual([['negative', '-2'], ['tenth', '0.10000000000000001'], ['whole', '3']]);
  });

  it('gives a RESP3 set as an array and a map as a Map', async () => {
    const [set2, set3] = await both(cmd('DEBUG', 'PROTOCOL', 'set'));
    expect(set3).toEqual(set2);
    expect(Array.isArray(set3)).toBe(true);
    const [map2, map3] = await both(cmd('DEBUG', 'PROTOCOL', 'map'));
    expect(map3).toBeInstanceOf(Map);
    expect(readMap(map3)).toEqual(readMap(map2));
    expect([...readMap(map3).values()]).toEqual([0, 1, 0]);
  });

  it('keeps every integer of the signed 64-bit range exact, and small ones as numbers', async () => {
    for (const value of ['9007199254740992', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808']) {
      await transports[2].send(cmd('SET', 'n', value));
      const [resp2, resp3] = await both(cmd('INCRBY', 'n', '0'));
      expect(resp2).toBe(BigInt(value));
      expect(resp3).toBe(BigInt(value));
    }
    await transports[2].send(cmd('SET', 'n', '9007199254740991'));
    expect(await both(cmd('INCRBY', 'n', '0'))).toEqual([9007199254740991, 9007199254740991]);
  });

  it('gives doubles and integers in binary mode as Buffers and numbers, as in RESP2', async () => {
    const command: WireCommand = { name: 'ZSCORE', args: ['scores', 'whole'], binary: true };
    const [resp2, resp3] = await both(command);
    expect(resp2).toEqual(Buffer.from('3'));
    expect(resp3).toEqual(Buffer.from('3'));
    expect(await both({ name: 'ZCARD', args: ['scores'], binary: true })).toEqual([3, 3]);
  });

  it('leaves the user client with its own reply shapes', async () => {
    // The transport duplicated these default clients rather than reconfigure them.
    const client = clients[1] as Redis;
    expect(await client.hset('h', 'f', 'v')).toBe(1);
    expect(await client.hgetall('h')).toEqual({ f: 'v' });
    expect(await client.call('HGETALL', 'h')).toEqual(['f', 'v']);
  });
});
