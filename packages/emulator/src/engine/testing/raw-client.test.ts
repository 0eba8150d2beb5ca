import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerMissing, startRedisServer } from '@ferrite/testkit';
import type { RedisServer } from '@ferrite/testkit';
import { RawRespClient, encodeCommand, plain } from './raw-client.js';

const missing = redisServerMissing();

describe('encodeCommand', () => {
  it('writes an array of bulk strings, binary-safe', () => {
    expect(encodeCommand(['SET', Buffer.from([0, 13, 10]), 5]).toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$3\r\n\x00\r\n\r\n$1\r\n5\r\n');
  });
});

// The helper is checked against real Redis so the emulator's own tests can trust what it reads.
describe.skipIf(missing !== null)('RawRespClient against redis-server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reads RESP2 replies, including nulls and errors', async () => {
    const client = await RawRespClient.connect(server.port);
    try {
      expect(await client.send('SET', 'k', 'v')).toEqual({ type: 'simple', value: 'OK' });
      expect(await client.send('GET', 'missing')).toEqual({ type: 'bulk', value: null });
      expect(plain(await client.send('HSET', 'h', 'f', '1'))).toBe(1);
      expect(plain(await client.send('HGETALL', 'h'))).toEqual(['f', '1']);
      expect(plain(await client.send('NOPE'))).toEqual({ error: "ERR unknown command 'NOPE', with args beginning with: " });
    } finally {
      await client.close();
    }
  });

  it('reads RESP3 maps, nulls and doubles, and replies split across packets', async () => {
    const client = await RawRespClient.connect(server.port);
    try {
      await client.send('HELLO', '3');
      expect(await client.send('GET', 'missing')).toEqual({ type: 'null' });
      await client.send('HSET', 'h3', 'f', '1');
      expect(plain(await client.send('HGETALL', 'h3'))).toEqual(new Map([['f', '1']]));
      await client.send('ZADD', 'z', '1.5', 'm');
      expect(await client.send('ZSCORE', 'z', 'm')).toEqual({ type: 'double', value: 1.5 });
      const big = 'x'.repeat(300000);
      await client.send('SET', 'big', big);
      expect(plain(await client.send('GET', 'big'))).toBe(big);
    } finally {
      await client.close();
    }
  });
});
