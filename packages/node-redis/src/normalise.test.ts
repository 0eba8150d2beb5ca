import type { Reply, Transport, WireCommand } from '@ferrite/core';
import { FerriteReplyError, readMap } from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import fc from 'fast-check';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRedisTransport } from './index.js';

/*
 * Replies of every RESP3 type, from the real server (`DEBUG PROTOCOL` sends each type on
 * request), must come out exactly as RESP2 sends them, except maps (Map vs flat array).
 */

const skip = redisServerMissing();

type Value = number | string | null | Value[];

describe.skipIf(Boolean(skip))('reply normalisation against redis-server, RESP2 and RESP3 alike', () => {
  let server: RedisServer;
  const transports = {} as Record<2 | 3, Transport>;
  const both = async (command: WireCommand): Promise<[Reply, Reply]> => [await transports[2].send(command), await transports[3].send(command)];
  const cmd = (name: string, ...args: Array<string | Buffer>): WireCommand => ({ name, args });

  beforeAll(async () => {
    server = await startRedisServer();
    for (const protocol of [2, 3] as const) {
      const client = createClient({ url: server.url, RESP: protocol });
      await client.connect();
      transports[protocol] = nodeRedisTransport(client, { closeClient: true });
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(transports).map((t) => t.close()));
    await server?.stop();
  });

  it.each([
    ['string', 'Hello World'],
    ['integer', 12345],
    ['double', '3.141'],
    ['bignum', '1234567999999999999999999999999999999'],
    ['null', null],
    ['array', [0, 1, 2]],
    ['set', [0, 1, 2]],
    ['verbatim', 'This is a verbatim\nstring'],
    ['true', 1],
    ['false', 0],
  ] as const)('DEBUG PROTOCOL %s', async (kind, expected) => {
    const [resp2, resp3] = await both(cmd('DEBUG', 'PROTOCOL', kind));
    expect(resp3).toEqual(expected);
    expect(resp2).toEqual(expected);
  });

  it('gives a map with integer keys as a Map with string keys in RESP3, a flat array in RESP2', async () => {
    const [resp2, resp3] = await both(cmd('DEBUG', 'PROTOCOL', 'map'));
    expect(resp2).toEqual([0, 0, 1, 1, 2, 0]);
    expect(resp3).toEqual(new Map([['0', 0], ['1', 1], ['2', 0]]));
    expect(readMap(resp2)).toEqual(readMap(resp3));
  });

  it('keeps a whole-valued double as text and an integer as a number, side by side', async () => {
    await transports[3].send(cmd('ZADD', 'z:whole', '3', 'three', '0.1', 'tenth', '-inf', 'low'));
    for (const reply of await both(cmd('ZSCORE', 'z:whole', 'three'))) expect(reply).toBe('3');
    for (const reply of await both(cmd('ZSCORE', 'z:whole', 'tenth'))) expect(reply).toBe('0.10000000000000001');
    for (const reply of await both(cmd('ZSCORE', 'z:whole', 'low'))) expect(reply).toBe('-inf');
    // ZRANK gives an integer, ZMSCORE doubles and a null: one reply mixing them.
    for (const reply of await both(cmd('ZRANK', 'z:whole', 'three'))) expect(reply).toBe(2);
    for (const reply of await both(cmd('ZMSCORE', 'z:whole', 'three', 'none', 'tenth'))) {
      expect(reply).toEqual(['3', null, '0.10000000000000001']);
    }
    const [resp2, resp3] = await both(cmd('ZRANGE', 'z:whole', '0', '-1', 'WITHSCORES'));
    expect(resp2).toEqual(['low', '-inf', 'tenth', '0.10000000000000001', 'three', '3']);
    expect(resp3).toEqual([['low', '-inf'], ['tenth', '0.10000000000000001'], ['three', '3']]);
  });

  it('keeps integers and doubles apart inside RESP3 maps', async () => {
    const [resp2, resp3] = await both(cmd('HELLO'));
    expect(readMap(resp2).get('proto')).toBe(2);
    expect(readMap(resp3).get('proto')).toBe(3);
    expect(readMap(resp3).get('modules')).toEqual([]);
    expect(resp3).toBeInstanceOf(Map);
  });

  it('gives doubles and big numbers as Buffers in binary mode, integers still as numbers', async () => {
    for (const protocol of [2, 3] as const) {
      const send = (...args: string[]) => transports[protocol].send({ name: 'DEBUG', args: ['PROTOCOL', ...args], binary: true });
      expect(await send('double')).toEqual(Buffer.from('3.141'));
      expect(await send('bignum')).toEqual(Buffer.from('1234567999999999999999999999999999999'));
      expect(await send('integer')).toBe(12345);
      expect(await send('verbatim')).toEqual(Buffer.from('This is a verbatim\nstring'));
    }
  });

  it('fails the whole command with the first error inside a reply (EXEC with a failed command)', async () => {
    for (const protocol of [2, 3] as const) {
      await using dedicated = await transports[protocol].dedicated();
      await dedicated.send(cmd('SET', 'exec:text', 'x'));
      await dedicated.send(cmd('MULTI'));
      await dedicated.send(cmd('INCR', 'exec:counter'));
      await dedicated.send(cmd('LPUSH', 'exec:text', 'secret-value'));
      const error = await dedicated.send(cmd('EXEC')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteReplyError);
      expect((error as FerriteReplyError).command).toBe('EXEC');
      expect((error as FerriteReplyError).kind).toBe('wrongtype');
    }
  });

  it('returns any nested array of integers, strings and nulls exactly, in both protocols (property)', async () => {
    // A Lua script hands the value back from JSON: numbers become integer replies, strings bulk
    // strings, JSON null a RESP null (Lua false), arrays arrays.
    const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 5 }),
      ),
    })).value;
    const script = `
      local function convert(v)
        if v == cjson.null then return false end
        if type(v) == 'table' then
          local out = {}
          for i = 1, #v do out[i] = convert(v[i]) end
          return out
        end
        return v
      end
      return convert(cjson.decode(ARGV[1]))`;
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 6 }), async (input) => {
        const command = cmd('EVAL', script, '0', JSON.stringify(input));
        const [resp2, resp3] = await both(command);
        expect(resp2).toEqual(input);
        expect(resp3).toEqual(input);
      }),
      { numRuns: 60 },
    );
  });
});

