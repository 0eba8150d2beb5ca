import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../server.js';
import type { RunningEmulator } from '../../server.js';
import { RawRespClient, plain } from '../testing/raw-client.js';
import type { Plain, RespArgument } from '../testing/raw-client.js';

/**
 * The standard command families over TCP with explicit expectations (texts checked against
 * redis-server 7.0; the differential test compares the rest live when redis-server is installed).
 * `plain` maps RESP2 and RESP3 alike, so each case runs in both protocols.
 */
const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const NOT_INTEGER = { error: 'ERR value is not an integer or out of range' };
const SYNTAX = { error: 'ERR syntax error' };

describe.each([2, 3] as const)('standard commands, RESP%i', (protocol) => {
  let now = 1_700_000_000_000;
  let server: RunningEmulator;
  let client: RawRespClient;
  const send = async (...args: RespArgument[]): Promise<Plain> => plain(await client.send(...args));

  beforeAll(async () => {
    server = await startEmulator({ clock: () => now });
    client = await RawRespClient.connect(server.port);
    await client.send('HELLO', String(protocol));
  });
  beforeEach(async () => {
    await client.send('FLUSHALL');
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('strings', async () => {
    expect(await send('SET', 's', 'v', 'NX', 'XX')).toEqual(SYNTAX);
    expect(await send('SET', 's', 'v', 'EX', '0')).toEqual({ error: "ERR invalid expire time in 'set' command" });
    expect(await send('SET', 's', 'v', 'EX', 'x')).toEqual(NOT_INTEGER);
    expect(await send('SET', 's', 'v', 'GET')).toBeNull();
    expect(await send('SET', 's', 'w', 'GET')).toBe('v');
    expect(await send('SET', 's', 'x', 'NX')).toBeNull();
    expect(await send('SET', 'new', 'x', 'XX')).toBeNull();
    expect(await send('MSET', 'a', '1', 'b')).toEqual({ error: "ERR wrong number of arguments for 'mset' command" });
    expect(await send('MSET', 'a', '1', 'b', '2')).toBe('+OK');
    expect(await send('MGET', 'a', 'missing', 'b')).toEqual(['1', null, '2']);
    expect(await send('SETNX', 'a', 'other')).toBe(0);
    expect(await send('APPEND', 'a', '23')).toBe(3);
    expect(await send('STRLEN', 'a')).toBe(3);
    expect(await send('INCRBY', 'a', '-3')).toBe(120);
    expect(await send('DECR', 'a')).toBe(119);
    expect(await send('DECRBY', 'a', '-9223372036854775808')).toEqual({ error: 'ERR decrement would overflow' });
    await send('SET', 'max', '9223372036854775807');
    expect(await send('INCR', 'max')).toEqual({ error: 'ERR increment or decrement would overflow' });
    expect(await send('INCR', 's')).toEqual(NOT_INTEGER);
    expect(await send('GETDEL', 'a')).toBe('119');
    expect(await send('GET', 'a')).toBeNull();
    await send('LPUSH', 'list', 'x');
    expect(await send('GET', 'list')).toEqual(WRONGTYPE);
    expect(await send('SET', 'list', 'v', 'GET')).toEqual(WRONGTYPE);
    expect(await send('SET', 'list', 'v')).toBe('+OK');
  });

  it('keys, expiry and SCAN', async () => {
    await send('MSET', 'k1', 'a', 'k2', 'b', 'other', 'c');
    await send('HSET', 'h', 'f', 'v');
    expect(await send('EXISTS', 'k1', 'k1', 'nope')).toBe(2);
    expect(await send('TYPE', 'h')).toBe('+hash');
    expect(await send('TYPE', 'nope')).toBe('+none');
    expect(((await send('KEYS', 'k*')) as string[]).sort()).toEqual(['k1', 'k2']);
    expect(await send('TTL', 'k1')).toBe(-1);
    expect(await send('TTL', 'nope')).toBe(-2);
    expect(await send('EXPIRE', 'k1', '10', 'NX', 'XX')).toEqual({ error: 'ERR NX and XX, GT or LT options at the same time are not compatible' });
    expect(await send('EXPIRE', 'k1', '10', 'GT')).toBe(0);
    expect(await send('EXPIRE', 'k1', '10')).toBe(1);
    expect(await send('EXPIRE', 'k1', '10', 'NX')).toBe(0);
    expect(await send('EXPIRE', 'k1', '5', 'LT')).toBe(1);
    expect(await send('EXPIRE', 'k1', '1', 'FOO')).toEqual({ error: 'ERR Unsupported option FOO' });
    expect(await send('EXPIRE', 'k1', '9223372036854775807')).toEqual({ error: "ERR invalid expire time in 'expire' command" });
    expect(await send('PTTL', 'k1')).toBe(5000);
    now += 1600;
    expect(await send('TTL', 'k1')).toBe(3);
    expect(await send('PERSIST', 'k1')).toBe(1);
    expect(await send('PERSIST', 'k1')).toBe(0);
    await send('PEXPIRE', 'k2', '100');
    now += 100;
    expect(await send('GET', 'k2')).toBeNull();
    expect(await send('EXPIRE', 'other', '-1')).toBe(1);
    expect(await send('EXISTS', 'other')).toBe(0);
    expect(await send('RENAME', 'nope', 'x')).toEqual({ error: 'ERR no such key' });
    await send('SET', 'src', 'v', 'EX', '100');
    expect(await send('RENAME', 'src', 'dst')).toBe('+OK');
    expect(await send('TTL', 'dst')).toBe(100);
    expect(await send('DEL', 'dst', 'dst', 'nope')).toBe(1);
    for (let i = 0; i < 30; i++) await send('SET', `scan:${i}`, 'v');
    await send('SADD', 'scan:set', 'm');
    const seen = new Set<string>();
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = (await send('SCAN', cursor, 'MATCH', 'scan:*', 'COUNT', '5')) as [string, string[]];
      for (const key of keys) seen.add(key);
      cursor = next;
      rounds++;
    } while (cursor !== '0');
    expect(seen.size).toBe(31);
    expect(rounds).toBeGreaterThan(1);
    const [, sets] = (await send('SCAN', '0', 'TYPE', 'set', 'COUNT', '1000')) as [string, string[]];
    expect(sets).toEqual(['scan:set']);
    expect(await send('SCAN', 'x')).toEqual({ error: 'ERR invalid cursor' });
    expect(await send('SCAN', '0', 'COUNT', '0')).toEqual(SYNTAX);
    expect(await send('SCAN', '0', 'MATCH')).toEqual(SYNTAX);
  });

  it('hashes', async () => {
    expect(await send('HSET', 'h', 'f')).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
    expect(await send('HSET', 'h', 'f', '1', 'g', '2')).toBe(2);
    expect(await send('HSET', 'h', 'f', '3')).toBe(0);
    expect(await send('HGET', 'h', 'f')).toBe('3');
    expect(await send('HMGET', 'h', 'f', 'x')).toEqual(['3', null]);
    const all = await send('HGETALL', 'h');
    expect(protocol === 3 ? all : all).toEqual(protocol === 3 ? new Map([['f', '3'], ['g', '2']]) : ['f', '3', 'g', '2']);
    expect(await send('HKEYS', 'h')).toEqual(['f', 'g']);
    expect(await send('HVALS', 'h')).toEqual(['3', '2']);
    expect(await send('HEXISTS', 'h', 'g')).toBe(1);
    expect(await send('HLEN', 'h')).toBe(2);
    expect(await send('HINCRBY', 'h', 'f', '4')).toBe(7);
    expect(await send('HINCRBY', 'h', 'f', 'x')).toEqual(NOT_INTEGER);
    await send('HSET', 'h', 'text', 'abc');
    expect(await send('HINCRBY', 'h', 'text', '1')).toEqual({ error: 'ERR hash value is not an integer' });
    expect(await send('HDEL', 'h', 'f', 'g', 'text', 'x')).toBe(3);
    expect(await send('EXISTS', 'h')).toBe(0);
    await send('SET', 's', 'v');
    expect(await send('HGET', 's', 'f')).toEqual(WRONGTYPE);
  });

  it('lists', async () => {
    expect(await send('RPUSH', 'l', 'a', 'b')).toBe(2);
    expect(await send('LPUSH', 'l', 'c', 'd')).toBe(4);
    expect(await send('LRANGE', 'l', '0', '-1')).toEqual(['d', 'c', 'a', 'b']);
    expect(await send('LRANGE', 'l', '-2', '100')).toEqual(['a', 'b']);
    expect(await send('LRANGE', 'l', 'x', '1')).toEqual(NOT_INTEGER);
    expect(await send('LPOP', 'l')).toBe('d');
    expect(await send('RPOP', 'l', '2')).toEqual(['b', 'a']);
    expect(await send('LPOP', 'l', '-1')).toEqual({ error: 'ERR value is out of range, must be positive' });
    expect(await send('LPOP', 'l', '1', '2')).toEqual({ error: "ERR wrong number of arguments for 'lpop' command" });
    expect(await send('LLEN', 'l')).toBe(1);
    expect(await send('LPOP', 'l', '5')).toEqual(['c']);
    expect(await send('EXISTS', 'l')).toBe(0);
    expect(await send('LPOP', 'l')).toBeNull();
    expect(await send('LPOP', 'l', '1')).toBeNull();
  });

  it('sets', async () => {
    expect(await send('SADD', 'set', 'a', 'b', 'a')).toBe(2);
    expect(await send('SISMEMBER', 'set', 'a')).toBe(1);
    expect(await send('SCARD', 'set')).toBe(2);
    const members = await send('SMEMBERS', 'set');
    expect(protocol === 3 ? members : new Set(members as string[])).toEqual(new Set(['a', 'b']));
    expect(await send('SREM', 'set', 'a', 'b', 'c')).toBe(2);
    expect(await send('EXISTS', 'set')).toBe(0);
    await send('SET', 's', 'v');
    expect(await send('SADD', 's', 'x')).toEqual(WRONGTYPE);
  });

  it('sorted sets', async () => {
    expect(await send('ZADD', 'z', '1', 'a', '2', 'b', '2', 'c')).toBe(3);
    expect(await send('ZADD', 'z', 'NX', 'XX', '1', 'a')).toEqual({ error: 'ERR XX and NX options at the same time are not compatible' });
    expect(await send('ZADD', 'z', 'GT', 'LT', '1', 'a')).toEqual({ error: 'ERR GT, LT, and/or NX options at the same time are not compatible' });
    expect(await send('ZADD', 'z', 'INCR', '1', 'a', '1', 'b')).toEqual({ error: 'ERR INCR option supports a single increment-element pair' });
    expect(await send('ZADD', 'z', 'x', 'a')).toEqual({ error: 'ERR value is not a valid float' });
    expect(await send('ZADD', 'z', 'NX', '1')).toEqual(SYNTAX);
    expect(await send('ZADD', 'z', 'CH', 'GT', '0', 'a', '5', 'b')).toBe(1);
    const incremented = await send('ZADD', 'z', 'INCR', '0.5', 'a');
    expect(incremented).toBe(protocol === 3 ? 1.5 : '1.5');
    expect(await send('ZADD', 'z', 'NX', 'INCR', '1', 'a')).toBeNull();
    expect(await send('ZINCRBY', 'z', '0.1', 'c')).toBe(protocol === 3 ? 2.1 : '2.1000000000000001');
    expect(await send('ZSCORE', 'z', 'b')).toBe(protocol === 3 ? 5 : '5');
    expect(await send('ZSCORE', 'z', 'none')).toBeNull();
    expect(await send('ZCARD', 'z')).toBe(3);
    expect(await send('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'c', 'b']);
    expect(await send('ZRANGE', 'z', '0', '0', 'REV', 'WITHSCORES')).toEqual(protocol === 3 ? [['b', 5]] : ['b', '5']);
    expect(await send('ZREVRANGE', 'z', '0', '1')).toEqual(['b', 'c']);
    expect(await send('ZRANGE', 'z', '0', '1', 'BOGUS')).toEqual(SYNTAX);
    expect(await send('ZREM', 'z', 'a', 'b', 'c')).toBe(3);
    expect(await send('EXISTS', 'z')).toBe(0);
    expect(await send('ZADD', 'z', 'inf', 'x')).toBe(1);
    expect(await send('ZINCRBY', 'z', '-inf', 'x')).toEqual({ error: 'ERR resulting score is not a number (NaN)' });
  });

  it('unknown commands and wrong arity', async () => {
    expect(await send('frob', 'a', 'b')).toEqual({ error: "ERR unknown command 'frob', with args beginning with: 'a' 'b' " });
    expect(await send('GeT')).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
    expect(await send('get', 'missing')).toBeNull();
  });
});
