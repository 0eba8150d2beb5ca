import fc from 'fast-check';
import { redisServerMissing, startRedisServer } from '@ferrite/testkit';
import type { RedisServer } from '@ferrite/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRespClient } from './engine/testing/raw-client.js';
import type { RespValue } from './engine/testing/raw-client.js';
import { startEmulator } from './server.js';
import type { RunningEmulator } from './server.js';

/**
 * Differential tests: the same random command sequences go to a real redis-server and to the
 * emulator, and the raw replies (type markers, error texts) must be identical. Replies whose
 * order Redis leaves unspecified are compared sorted; PTTL only by sign.
 */
const missing = redisServerMissing();

const keys = ['k1', 'k2', 'k3'];
const key = fc.constantFrom(...keys);
const value = fc.constantFrom('0', '1', '-1', '42', 'abc', '', 'x y', '9223372036854775807', '-9223372036854775808', '1.5', ' 1', '01', '+1', 'inf', '-inf', 'nan', '1e3', '\u00e9');
const integerText = fc.constantFrom('0', '1', '-1', '2', '10', '-5', '9223372036854775807', '-9223372036854775808', 'x', '1.5', '', '100000');
const scoreText = fc.constantFrom('0', '1', '-1', '1.5', '-2.25', '1e3', 'inf', '-inf', '+inf', 'nan', 'x', '0.1', '3');
const member = fc.constantFrom('a', 'b', 'c', 'd', '1', '2');
const field = fc.constantFrom('f', 'g', 'h');

type Command = string[];
const cmd = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<Command> =>
  fc.tuple(...parts.map((part) => (typeof part === 'string' ? fc.constant(part) : part)));
const many = (arb: fc.Arbitrary<string>, min = 0, max = 3) => fc.array(arb, { minLength: min, maxLength: max });
const withRest = (head: fc.Arbitrary<Command>, rest: fc.Arbitrary<string[]>): fc.Arbitrary<Command> =>
  fc.tuple(head, rest).map(([h, r]) => [...h, ...r]);

const setOption = fc.constantFrom(['NX'], ['XX'], ['GET'], ['KEEPTTL'], ['EX', '100'], ['PX', '100000'], ['EX', '0'], ['EX', 'x'], ['PX', '-5'], ['EX'], ['BOGUS']);
const zaddOption = fc.constantFrom('NX', 'XX', 'GT', 'LT', 'CH', 'INCR');
const expireOption = fc.constantFrom('NX', 'XX', 'GT', 'LT', 'BAD');

const command: fc.Arbitrary<Command> = fc.oneof(
  cmd('GET', key),
  fc.tuple(key, value, fc.array(setOption, { maxLength: 3 })).map(([k, v, options]) => ['SET', k, v, ...options.flat()]),
  withRest(cmd('MGET'), many(key, 1, 3)),
  withRest(cmd('MSET'), fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 2 }).map((pairs) => pairs.flat())),
  cmd('MSET', key),
  cmd('SETNX', key, value),
  cmd('GETDEL', key),
  cmd('APPEND', key, value),
  cmd('STRLEN', key),
  cmd('INCR', key),
  cmd('DECR', key),
  cmd('INCRBY', key, integerText),
  cmd('DECRBY', key, integerText),
  withRest(cmd('DEL'), many(key, 1, 3)),
  withRest(cmd('UNLINK'), many(key, 1, 2)),
  withRest(cmd('EXISTS'), many(key, 1, 3)),
  cmd('TYPE', key),
  cmd('KEYS', fc.constantFrom('*', 'k?', 'k[12]', 'x*')),
  withRest(cmd('EXPIRE', key, fc.constantFrom('100', '1000', '-1', '0', 'x', '9223372036854775807')), many(expireOption, 0, 2)),
  cmd('PEXPIRE', key, fc.constantFrom('100000', '-1', '9223372036854775807')),
  cmd('TTL', key),
  cmd('PTTL', key),
  cmd('PERSIST', key),
  cmd('RENAME', key, key),
  withRest(cmd('HSET', key), fc.array(fc.tuple(field, value), { minLength: 0, maxLength: 2 }).map((pairs) => pairs.flat())),
  cmd('HSET', key, field),
  cmd('HGET', key, field),
  withRest(cmd('HMGET', key), many(field, 1, 3)),
  cmd('HGETALL', key),
  withRest(cmd('HDEL', key), many(field, 1, 2)),
  cmd('HEXISTS', key, field),
  cmd('HLEN', key),
  cmd('HKEYS', key),
  cmd('HVALS', key),
  cmd('HINCRBY', key, field, integerText),
  withRest(cmd('LPUSH', key), many(value, 1, 3)),
  withRest(cmd('RPUSH', key), many(value, 1, 3)),
  cmd('LPOP', key),
  cmd('RPOP', key),
  cmd('LPOP', key, fc.constantFrom('0', '1', '2', '10', '-1', 'x')),
  cmd('RPOP', key, fc.constantFrom('0', '2', '-1')),
  cmd('LRANGE', key, integerText, integerText),
  cmd('LRANGE', key, fc.constantFrom('0', '1', '-2'), fc.constantFrom('-1', '0', '2', '100')),
  cmd('LLEN', key),
  withRest(cmd('SADD', key), many(member, 1, 3)),
  withRest(cmd('SREM', key), many(member, 1, 2)),
  cmd('SMEMBERS', key),
  cmd('SISMEMBER', key, member),
  cmd('SCARD', key),
  fc
    .tuple(key, many(zaddOption, 0, 2), fc.array(fc.tuple(scoreText, member), { minLength: 0, maxLength: 2 }))
    .map(([k, options, pairs]) => ['ZADD', k, ...options, ...pairs.flat()]),
  withRest(cmd('ZREM', key), many(member, 1, 2)),
  cmd('ZSCORE', key, member),
  cmd('ZINCRBY', key, scoreText, member),
  cmd('ZCARD', key),
  withRest(cmd('ZRANGE', key, fc.constantFrom('0', '1', '-1', '-2'), fc.constantFrom('-1', '0', '2', 'x')), fc.subarray(['REV', 'WITHSCORES'])),
  withRest(cmd('ZREVRANGE', key, fc.constantFrom('0', '1'), fc.constantFrom('-1', '1')), fc.subarray(['WITHSCORES'])),
  withRest(
    cmd('ZRANGE', key, fc.constantFrom('-inf', '0', '(1', '1.5', 'x', '+inf'), fc.constantFrom('+inf', '2', '(2', '-inf', '0')),
    fc.tuple(fc.constantFrom(['BYSCORE'], ['BYSCORE', 'REV'], ['BYSCORE', 'LIMIT', '1', '1'], ['BYSCORE', 'LIMIT', '0', '-1'], ['LIMIT', '0', '1'], ['BYSCORE', 'LIMIT', 'x', '1']), fc.subarray(['WITHSCORES'])).map(([a, b]) => [...a, ...b]),
  ),
  // BYLEX is specified for members of equal score only, so it gets a key of its own.
  cmd('ZADD', 'lex', '0', member),
  withRest(
    cmd('ZRANGE', 'lex', fc.constantFrom('-', '+', '[a', '(a', '[c', 'b'), fc.constantFrom('+', '-', '[c', '(d', '[1')),
    fc.constantFrom(['BYLEX'], ['BYLEX', 'REV'], ['BYLEX', 'LIMIT', '1', '2'], ['BYLEX', 'WITHSCORES'], ['BYLEX', 'LIMIT', '-1', '2']),
  ),
  withRest(cmd('WATCH'), many(fc.constantFrom(...keys, 'lex'), 1, 2)),
  cmd('UNWATCH'),
  cmd('MULTI'),
  cmd('EXEC'),
  cmd('DISCARD'),
  cmd('PING'),
  cmd('ECHO', value),
  cmd('SELECT', fc.constantFrom('0', '1', '16', 'x')),
  cmd('DBSIZE'),
  cmd('NOSUCHCOMMAND', value),
  cmd('GET'),
  cmd('HGET', key),
  cmd('FLUSHDB'),
);

/** Sorts the parts of replies that Redis returns in unspecified order. */
function canonical(request: Command, reply: RespValue): RespValue {
  const name = (request[0] as string).toUpperCase();
  const sortItems = (items: RespValue[]) => [...items].sort((a, b) => (JSON.stringify(plainKey(a)) < JSON.stringify(plainKey(b)) ? -1 : 1));
  if (['KEYS', 'SMEMBERS', 'HKEYS', 'HVALS'].includes(name)) {
    if (reply.type === 'array' && reply.items !== null) return { type: 'array', items: sortItems(reply.items) };
    if (reply.type === 'set') return { type: 'set', items: sortItems(reply.items) };
  }
  if (name === 'PTTL' && reply.type === 'integer' && reply.value > 0n) return { type: 'integer', value: 1n };
  if (name === 'EXEC' && reply.type === 'array' && reply.items !== null) {
    return { type: 'array', items: reply.items.map((item) => (item.type === 'array' && item.items !== null ? { type: 'array', items: sortItems(item.items) } : item)) };
  }
  return reply;
}

function plainKey(value: RespValue): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('latin1') : v)));
}

function describeReply(value: RespValue): unknown {
  return plainKey(value);
}

describe.skipIf(Boolean(missing))(`differential against redis-server${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: RedisServer;
  let emulator: RunningEmulator;
  let redisClient: RawRespClient;
  let emulatorClient: RawRespClient;

  beforeAll(async () => {
    redis = await startRedisServer();
    emulator = await startEmulator();
  }, 30_000);
  afterAll(async () => {
    await redisClient?.close();
    await emulatorClient?.close();
    await emulator?.close();
    await redis?.stop();
  });

  async function fresh(protocol: 2 | 3): Promise<void> {
    await redisClient?.close();
    await emulatorClient?.close();
    redisClient = await RawRespClient.connect(redis.port);
    emulatorClient = await RawRespClient.connect(emulator.port);
    for (const client of [redisClient, emulatorClient]) {
      await client.send('FLUSHALL');
      await client.send('HELLO', String(protocol));
    }
  }

  for (const protocol of [2, 3] as const) {
    it(`gives identical replies to random command sequences (RESP${protocol})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          await fresh(protocol);
          const transcript: unknown[] = [];
          for (const request of commands) {
            const [expected, actual] = await Promise.all([redisClient.send(...request), emulatorClient.send(...request)]);
            transcript.push({ request, expected: describeReply(expected) });
            expect(describeReply(canonical(request, actual)), JSON.stringify(transcript)).toEqual(describeReply(canonical(request, expected)));
          }
        }),
        { numRuns: 150 },
      );
    }, 120_000);
  }

  it('agrees with KEYS and SCAN MATCH on random glob patterns', async () => {
    await fresh(2);
    const alphabet = ['a', 'b', 'c', '*', '?', '[', ']', '^', '-', '\\', 'é'];
    const subjects = ['', 'a', 'b', 'ab', 'abc', 'a*c', 'a?', '[a]', 'a-b', '\\', 'a\\b', 'ba', 'aaa', 'c^', 'é', '-', ']'];
    for (const subject of subjects) {
      await redisClient.send('SET', `s:${subject}`, '1');
      await emulatorClient.send('SET', `s:${subject}`, '1');
    }
    const scanAll = async (client: RawRespClient, pattern: string) => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const reply = await client.send('SCAN', cursor, 'MATCH', pattern, 'COUNT', '7');
        if (reply.type !== 'array' || reply.items === null) throw new Error('bad SCAN reply');
        const [next, batch] = reply.items as [RespValue, RespValue];
        cursor = (next as { value: Buffer }).value.toString();
        for (const item of (batch as { items: RespValue[] }).items) found.push((item as { value: Buffer }).value.toString('latin1'));
      } while (cursor !== '0');
      return [...new Set(found)].sort();
    };
    const keysOf = async (client: RawRespClient, pattern: string) => {
      const reply = await client.send('KEYS', pattern);
      return ((reply as { items: RespValue[] }).items ?? []).map((item) => (item as { value: Buffer }).value.toString('latin1')).sort();
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...alphabet), { maxLength: 6 }), async (parts) => {
        const pattern = `s:${parts.join('')}`;
        const expected = await keysOf(redisClient, pattern);
        expect(await keysOf(emulatorClient, pattern), pattern).toEqual(expected);
        expect(await scanAll(emulatorClient, pattern), pattern).toEqual(await scanAll(redisClient, pattern));
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
