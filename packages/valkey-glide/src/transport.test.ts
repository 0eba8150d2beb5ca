import { createFerrite, FerriteConnectionError } from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { GlideClient, Logger, ProtocolVersion } from '@valkey/valkey-glide';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glideTransport } from './index.js';

const skip = redisServerMissing();
Logger.init('off');

describe.skipIf(Boolean(skip))('glideTransport options', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('without the configuration: RESP3 assumed, the node named localhost:6379, and dedicated() refused before anything is sent', async () => {
    const client = await GlideClient.createClient({ addresses: [{ host: server.host, port: server.port }] });
    try {
      const transport = glideTransport(client);
      expect(transport.protocol).toBe(3);
      expect(await transport.nodes!()).toEqual([{ id: 'localhost:6379', host: 'localhost', port: 6379 }]);
      const error = await transport.dedicated().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteConnectionError);
      expect(error).toMatchObject({ maybeApplied: false, message: expect.stringMatching(/needs the client configuration/) });
      expect(await transport.send({ name: 'PING', args: [] })).toBe('PONG');
      await transport.close();
    } finally {
      client.close();
    }
  });

  it('with it: the protocol and address it names; the client stays the caller’s unless closeClient', async () => {
    const configuration = { addresses: [{ host: server.host, port: server.port }], protocol: ProtocolVersion.RESP2, requestTimeout: 10_000, databaseId: 2 };
    const client = await GlideClient.createClient(configuration);
    try {
      const ferrite = createFerrite({ transport: glideTransport(client, { configuration }) });
      expect(ferrite.transport.protocol).toBe(2);
      expect(ferrite.transport.server).toEqual({ address: server.host, port: server.port, database: 2 });
      expect(await ferrite.transport.nodes!()).toEqual([{ id: `${server.host}:${server.port}`, host: server.host, port: server.port }]);
      await ferrite.close();
      await expect(ferrite.transport.send({ name: 'PING', args: [] })).rejects.toMatchObject({ maybeApplied: false });
      // A call GLIDE refuses on a closed client was never written.
      const closedClient = await GlideClient.createClient(configuration);
      closedClient.close();
      const refused = await glideTransport(closedClient, { configuration }).send({ name: 'INCR', args: ['refused'] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FerriteConnectionError);
      expect(refused).toMatchObject({ maybeApplied: false });
      expect(await client.customCommand(['PING'])).toBe('PONG');
    } finally {
      client.close();
    }
    const owned = await GlideClient.createClient(configuration);
    await glideTransport(owned, { configuration, closeClient: true }).close();
    await expect(owned.customCommand(['PING'])).rejects.toThrow(/the client is closed/);
  });
  it.each([
    ['the caller’s client', false],
    ['a client it closes', true],
  ])('close() settles a call still waiting for its reply, over %s (maybeApplied: true)', async (_, closeClient) => {
    const configuration = { addresses: [{ host: server.host, port: server.port }], requestTimeout: 20_000 };
    const [client, other] = await Promise.all([GlideClient.createClient(configuration), GlideClient.createClient(configuration)]);
    const key = `close-held-${String(closeClient)}`;
    try {
      const transport = glideTransport(client, { configuration, closeClient });
      // The server holds the reply until the list gets an element.
      const held = transport.send({ name: 'BLPOP', args: [key, '0'] }).then(
        () => 'replied',
        (error: unknown) => error,
      );
      const blocked = async (): Promise<boolean> => /blocked_clients:[1-9]/.test(String(await other.customCommand(['INFO', 'clients'])));
      for (const deadline = Date.now() + 10_000; !(await blocked()); ) {
        if (Date.now() > deadline) throw new Error('the BLPOP never reached the server');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await transport.close();
      const outcome = await Promise.race([held, new Promise((resolve) => setTimeout(resolve, 1000, 'still pending'))]);
      expect(outcome).toBeInstanceOf(FerriteConnectionError);
      expect(outcome).toMatchObject({ maybeApplied: true });
      await other.customCommand(['RPUSH', key, 'released']);
      if (!closeClient) expect(await client.customCommand(['PING'])).toBe('PONG');
    } finally {
      client.close();
      other.close();
    }
  });
});
