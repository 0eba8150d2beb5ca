import { createFerrite, FerriteUnsupportedError, type FerriteClient } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vector } from './plugin.js';

const skip = redisServerMissing();

describe.skipIf(Boolean(skip))('vector on plain Redis (no vector commands)', () => {
  let server: RedisServer;
  let ferrite: FerriteClient<readonly [ReturnType<typeof vector>]>;

  beforeAll(async () => {
    server = await startRedisServer();
    const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await client.connect();
    ferrite = createFerrite({ transport: ioredisTransport(client, { closeClient: true }), plugins: [vector()] });
  });

  afterAll(async () => {
    await ferrite?.close();
    await server?.stop();
  });

  it('says the server does not support the command, for single calls and bulk loads', async () => {
    await expect(ferrite.vector.createIndex('docs', { dim: 3 })).rejects.toThrow(
      new FerriteUnsupportedError('VECTOR.INDEX.CREATE'),
    );
    const search = await ferrite.vector.search('docs', [1, 2, 3]).catch((e: unknown) => e);
    expect(search).toBeInstanceOf(FerriteUnsupportedError);
    expect((search as Error).message).toBe('this server does not support VECTOR.SEARCH');
    await expect(ferrite.vector.addMany('docs', [{ id: 'a', vector: [1, 2, 3] }])).rejects.toThrow(FerriteUnsupportedError);
    expect(await ferrite.supports('VECTOR.ADD')).toBe(false);
  });
});
