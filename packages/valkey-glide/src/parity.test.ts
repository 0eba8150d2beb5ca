import { FerriteInexactReplyError, type Transport, type WireCommand } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { GlideClient, Logger, ProtocolVersion, type GlideClientConfiguration } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glideTransport } from './index.js';

const skip = redisServerMissing();
Logger.init('off');

const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

/**
 * Driver parity: the same raw reply of a real redis-server through this transport and through the
 * ioredis transport (the reference, which reads every reply from the bytes) gives the same `Reply`,
 * in RESP2 and RESP3. Where GLIDE has lost information before the transport sees the reply
 * (integers beyond 2^53, a double's digits), the rows say what the transport does instead.
 */
describe.skipIf(Boolean(skip)).each([2, 3] as const)('driver parity with ioredis on redis-server, RESP%s', (protocol) => {
  let server: RedisServer;
  let glide: GlideClient;
  let redis: Redis;
  let ours: Transport;
  let reference: Transport;
  const k = (name: string) => `parity:${protocol}:${name}`;

  beforeAll(async () => {
    server = await startRedisServer();
    const configuration: GlideClientConfiguration = {
      addresses: [{ host: server.host, port: server.port }],
      protocol: protocol === 2 ? ProtocolVersion.RESP2 : ProtocolVersion.RESP3,
      requestTimeout: 10_000,
    };
    glide = await GlideClient.createClient(configuration);
    ours = glideTransport(glide, { configuration });
    redis = new Redis({ host: server.host, port: server.port, protocol });
    reference = ioredisTransport(redis);
    await reference.send(cmd('ZADD', k('scores'), '3', 'whole', '0.5', 'half', '-2', 'negative', 'inf', 'top'));
    await reference.send(cmd('HSET', k('hash'), 'f', '1', '__proto__', 'x'));
    await reference.send(cmd('SADD', k('set'), 'only'));
    await reference.send(cmd('RPUSH', k('list'), 'a', 'b'));
    await reference.send(cmd('SET', k('float'), '1.5'));
    await reference.send(cmd('SET', k('n'), '9007199254740991'));
  });
  afterAll(async () => {
    await ours?.close();
    await reference?.close();
    glide?.close();
    redis?.disconnect();
    await server?.stop();
  });

  // Each row runs on both transports, binary and not: every command here leaves the data as it was.
  const rows: Array<[string, WireCommand]> = [
    ['ZSCORE of a whole score', cmd('ZSCORE', k('scores'), 'whole')],
    ['ZSCORE of a half', cmd('ZSCORE', k('scores'), 'half')],
    ['ZSCORE of inf', cmd('ZSCORE', k('scores'), 'top')],
    ['ZMSCORE with a missing member', cmd('ZMSCORE', k('scores'), 'whole', 'absent', 'negative')],
    ['ZINCRBY to a whole score', cmd('ZINCRBY', k('scores'), '0', 'whole')],
    ['ZADD INCR', cmd('ZADD', k('scores'), 'INCR', '0', 'negative')],
    ['ZADD without INCR (a count)', cmd('ZADD', k('scores'), 'NX', '1', 'whole')],
    ['ZRANGE WITHSCORES', cmd('ZRANGE', k('scores'), '0', '-1', 'WITHSCORES')],
    ['ZPOPMIN with a count', cmd('ZPOPMIN', k('nothing'), '2')],
    ['ZCARD', cmd('ZCARD', k('scores'))],
    ['INCRBYFLOAT', cmd('INCRBYFLOAT', k('float'), '0')],
    ['HGETALL (a __proto__ field is data)', cmd('HGETALL', k('hash'))],
    ['HGETALL of nothing', cmd('HGETALL', k('nohash'))],
    ['CONFIG GET', cmd('CONFIG', 'GET', 'maxmemory')],
    ['SMEMBERS', cmd('SMEMBERS', k('set'))],
    ['LRANGE', cmd('LRANGE', k('list'), '0', '-1')],
    ['MGET with nulls', cmd('MGET', k('list-absent'), k('absent'))],
    ['GET of nothing', cmd('GET', k('absent'))],
    ['a safe integer', cmd('INCRBY', k('n'), '0')],
    ['COMMAND INFO', cmd('COMMAND', 'INFO', 'GET', 'NO-SUCH-COMMAND')],
    ['a boolean', cmd('DEBUG', 'PROTOCOL', 'true')],
    ['a false boolean', cmd('DEBUG', 'PROTOCOL', 'false')],
    ['a double', cmd('DEBUG', 'PROTOCOL', 'double')],
    ['a big number', cmd('DEBUG', 'PROTOCOL', 'bignum')],
    ['a null', cmd('DEBUG', 'PROTOCOL', 'null')],
    ['a verbatim string', cmd('DEBUG', 'PROTOCOL', 'verbatim')],
    ['a map', cmd('DEBUG', 'PROTOCOL', 'map')],
    ['a set', cmd('DEBUG', 'PROTOCOL', 'set')],
    ['nested maps and sets from a script', cmd('EVAL', "redis.setresp(3); return {map={outer={map={inner={set={x=true}}}}}}", '0')],
    ['a RESP3 double from a script', cmd('EVAL', 'redis.setresp(3); return {double=1.5}', '0')],
    ['a RESP3 nan from a script', cmd('EVAL', 'redis.setresp(3); return {double=0/0}', '0')],
  ];

  it.each(rows)('%s', async (_label, command) => {
    const [expected, actual] = [await reference.send(command), await ours.send(command)];
    expect(actual).toEqual(expected);
    expect(await ours.send({ ...command, binary: true })).toEqual(await reference.send({ ...command, binary: true }));
  });

  it('gives the same error text', async () => {
    const [expected, actual] = await Promise.all([reference.send(cmd('HGET', k('set'), 'x')).catch((e: unknown) => e), ours.send(cmd('HGET', k('set'), 'x')).catch((e: unknown) => e)]);
    expect(actual).toEqual(expected);
    const [nested, nestedOurs] = await Promise.all(
      [reference, ours].map((transport) => transport.send(cmd('EVAL', "redis.setresp(3); return {1, {err='ERR inner failure'}, 3}", '0')).catch((e: unknown) => e)),
    );
    expect(nestedOurs).toEqual(nested);
  });

  it('reads a reply that is not UTF-8 like ioredis, for a read (text first, then bytes) and for a write (bytes)', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x41]);
    const set = (key: string): WireCommand => ({ name: 'SET', args: [key, bytes] });
    await reference.send(set(k('bytes')));
    for (const command of [cmd('GET', k('bytes')), cmd('MGET', k('bytes'), k('absent')), cmd('GETRANGE', k('bytes'), '0', '-1')]) {
      expect(await ours.send(command)).toEqual(await reference.send(command));
      expect(await ours.send({ ...command, binary: true })).toEqual(command.name === 'MGET' ? [bytes, null] : bytes);
    }
    await reference.send(set(k('taken')));
    const taken = await ours.send(cmd('GETDEL', k('taken')));
    await reference.send(set(k('taken')));
    expect(taken).toEqual(await reference.send(cmd('GETDEL', k('taken'))));
    expect(typeof taken).toBe('string');
  });

  it('refuses an integer beyond ±(2^53 − 1), which ioredis reads exactly and GLIDE rounds', async () => {
    for (const value of ['9007199254740992', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808']) {
      await reference.send(cmd('SET', k('big'), value));
      expect(await reference.send(cmd('INCRBY', k('big'), '0'))).toBe(BigInt(value));
      await expect(ours.send(cmd('INCRBY', k('big'), '0'))).rejects.toBeInstanceOf(FerriteInexactReplyError);
      // The value itself is intact: read as text, it is exact.
      expect(await ours.send(cmd('GET', k('big')))).toBe(value);
    }
  });

  it("gives a double's shortest text where redis-server 7.0 writes 17 digits: the same double", async () => {
    await reference.send(cmd('ZADD', k('tenth'), '0.1', 'x'));
    const expected = (await reference.send(cmd('ZSCORE', k('tenth'), 'x'))) as string;
    const actual = (await ours.send(cmd('ZSCORE', k('tenth'), 'x'))) as string;
    expect(Number(actual)).toBe(Number(expected));
    expect(actual).toBe(String(Number(expected)));
  });
});

