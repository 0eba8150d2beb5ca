import { FerriteReplyError, readMap, type Reply, type Transport, type WireCommand } from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import fc from 'fast-check';
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

  it('reads a RESP3 map holding integers, strings and arrays (HELLO)', async () => {
    const [resp2, resp3] = await both(cmd('HELLO'));
    expect(resp3).toBeInstanceOf(Map);
    expect(readMap(resp2).get('proto')).toBe(2);
    expect(readMap(resp3).get('proto')).toBe(3);
    expect(readMap(resp3).get('server')).toBe('redis');
    expect(readMap(resp3).get('modules')).toEqual([]);
  });

  it('gives doubles, big numbers and verbatim strings as Buffers in binary mode', async () => {
    for (const protocol of [2, 3] as const) {
      const debug = (kind: string) => transports[protocol].send({ name: 'DEBUG', args: ['PROTOCOL', kind], binary: true });
      expect(await debug('double')).toEqual(Buffer.from('3.141'));
      expect(await debug('bignum')).toEqual(Buffer.from('1234567999999999999999999999999999999'));
      expect(await debug('verbatim')).toEqual(Buffer.from('This is a verbatim\nstring'));
      expect(await debug('integer')).toBe(12345);
    }
  });

  it('fails a command whose reply holds an error (EXEC), keeping the text and dropping the arguments', async () => {
    for (const protocol of [2, 3] as const) {
      await using dedicated = await transports[protocol].dedicated();
      await dedicated.send(cmd('SET', 'exec:text', 'x'));
      await dedicated.send(cmd('MULTI'));
      await dedicated.send(cmd('INCR', 'exec:count'));
      await dedicated.send(cmd('RPUSH', 'exec:text', 'exec-secret'));
      const error = await dedicated.send(cmd('EXEC')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteReplyError);
      expect((error as FerriteReplyError).command).toBe('EXEC');
      expect((error as FerriteReplyError).kind).toBe('wrongtype');
      expect(JSON.stringify(error)).not.toContain('exec-secret');
      // In a batch the entry fails and the others still settle.
      await dedicated.send(cmd('MULTI'));
      await dedicated.send(cmd('RPUSH', 'exec:text', 'y'));
      const [exec, ping] = await dedicated.batch([cmd('EXEC'), cmd('PING')]);
      expect(exec?.ok === false && exec.error instanceof FerriteReplyError).toBe(true);
      expect(ping).toEqual({ ok: true, value: 'PONG' });
    }
  });

  it('returns any nesting of integers, text and nulls unchanged in both protocols (property)', async () => {
    type Nested = number | string | null | Nested[];
    const nested: fc.Arbitrary<Nested> = fc.letrec<{ node: Nested }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.integer().map(String)),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
      ),
    })).node;
    // The script rebuilds the value from JSON; JSON null becomes Lua false, sent as a null reply.
    const rebuild = `
      local function rebuild(node)
        if node == cjson.null then return false end
        if type(node) ~= 'table' then return node end
        local copy = {}
        for index, item in ipairs(node) do copy[index] = rebuild(item) end
        return copy
      end
      return rebuild(cjson.decode(ARGV[1]))`;
    await fc.assert(
      fc.asyncProperty(fc.array(nested, { maxLength: 5 }), async (value) => {
        const [resp2, resp3] = await both(cmd('EVAL', rebuild, '0', JSON.stringify(value)));
        expect(resp2).toEqual(value);
        expect(resp3).toEqual(value);
      }),
      { numRuns: 50 },
    );
  });

  it('leaves the user client with its own reply shapes', async () => {
    // The transport duplicated these default clients rather than reconfigure them.
    const client = clients[1] as Redis;
    expect(await client.hset('h', 'f', 'v')).toBe(1);
    expect(await client.hgetall('h')).toEqual({ f: 'v' });
    expect(await client.call('HGETALL', 'h')).toEqual(['f', 'v']);
  });
});
