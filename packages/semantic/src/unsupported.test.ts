import { createFerrite, FerriteUnsupportedError, type FerriteClient } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { semantic } from './plugin.js';

const skip = redisServerMissing();

describe.skipIf(Boolean(skip))('semantic on plain Redis (no semantic commands)', () => {
  let server: RedisServer;
  let ferrite: FerriteClient<readonly [ReturnType<typeof semantic>]>;

  beforeAll(async () => {
    server = await startRedisServer();
    const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await client.connect();
    ferrite = createFerrite({ transport: ioredisTransport(client, { closeClient: true }), plugins: [semantic()] });
  });

  afterAll(async () => {
    await ferrite?.close();
    await server?.stop();
  });

  it('says the server does not support the command, on every call and on the cache helpers', async () => {
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['SEMANTIC.SET', () => ferrite.semantic.set('ns', 'text', 'value')],
      ['SEMANTIC.GET', () => ferrite.semantic.get('ns', 'text')],
      ['SEMANTIC.GET', () => ferrite.semantic.match('ns', 'text', { threshold: 0 })],
      ['SEMANTIC.DEL', () => ferrite.semantic.delete('ns')],
      ['SEMANTIC.STATS', () => ferrite.semantic.stats('ns')],
      ['SEMANTIC.GET', () => ferrite.semantic.cache('ns').getOrSet('text', () => 'computed')],
    ];
    for (const [command, run] of cases) {
      const error = await run().catch((e: unknown) => e);
      expect(error, command).toBeInstanceOf(FerriteUnsupportedError);
      expect((error as Error).message).toBe(`this server does not support ${command}`);
    }
    const stream = ferrite.semantic.cache('ns').getOrSetStream('text', async function* () {
      yield 'never produced';
    });
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow(FerriteUnsupportedError);
    expect(await ferrite.supports('SEMANTIC.GET')).toBe(false);
  });
});
