import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createFerrite, FerriteTimeoutError, isTimeoutError } from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRedisTransport } from './index.js';

/*
 * What node-redis' own failures say about whether a command ran, shown on the wire: a real
 * redis-server, node-redis over real TCP, and in between a proxy that can hold the server's
 * replies, write a RESP3 push of its own and refuse connections.
 *
 * node-redis 6 drops a command's own `timeout` once the command is written, so that timeout never
 * fails a written command. What does is a socket timeout during a maintenance window: a server
 * that announces maintenance (a `MIGRATING` push, which Redis Enterprise sends and redis-server
 * never does, so the proxy writes it) makes node-redis relax its socket timeout, and when that
 * passes with replies outstanding it fails every written command with
 * `SocketTimeoutDuringMaintenanceError`, a `TimeoutError`.
 */

const skip = redisServerMissing();

/** Generous: waiting on a loaded machine for something that happens within milliseconds idle. */
const WAIT = { timeout: 10_000, interval: 20 };
/** The socket timeout node-redis applies once the server announced maintenance. */
const RELAXED_SOCKET_TIMEOUT_MS = 200;
/** Core's deadline where the driver's failure must come first. */
const CORE_TIMEOUT_MS = 20_000;

/** A RESP3 push announcing maintenance, as Redis Enterprise sends it before moving slots. */
const MIGRATING_PUSH = '>1\r\n$9\r\nMIGRATING\r\n';

interface ControlledProxy {
  readonly url: string;
  /** Forwards nothing more from the server: replies written from now on never reach the client. */
  holdReplies(): void;
  /** Writes `bytes` to every client, as if the server had sent them. */
  writeToClients(bytes: string): void;
  /**
   * `true`: closes every open connection and stops listening, so reconnects are refused before
   * any connection exists (nothing can be written); `false`: listens again on the same port.
   */
  refuse(on: boolean): Promise<void>;
  close(): Promise<void>;
}

async function controlledProxy(targetPort: number): Promise<ControlledProxy> {
  const clients = new Set<Socket>();
  let holding = false;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    clients.add(client);
    const end = (): void => {
      clients.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!holding) client.write(chunk);
    });
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const listen = (on: number): Promise<void> => new Promise<void>((resolve) => server.listen(on, '127.0.0.1', resolve));
  const stopListening = (): Promise<void> => {
    clients.forEach((client) => client.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listen(0);
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    holdReplies: () => void (holding = true),
    writeToClients: (bytes) => clients.forEach((client) => client.write(bytes)),
    refuse: (on) => (on ? stopListening() : listen(port)),
    close: () => (server.listening ? stopListening() : Promise.resolve()),
  };
}

describe.skipIf(Boolean(skip))("node-redis transport: the driver's failures and maybeApplied, on the wire", () => {
  let server: RedisServer;
  let reader: ReturnType<typeof createClient>;

  beforeAll(async () => {
    server = await startRedisServer();
    reader = createClient({ url: server.url });
    reader.on('error', () => {});
    await reader.connect();
  });
  afterAll(async () => {
    await reader?.close();
    await server?.stop();
  });

  it("rejects a written command that node-redis fails with its TimeoutError as FerriteTimeoutError, maybeApplied true, and the command ran", async () => {
    const proxy = await controlledProxy(server.port);
    // A socket timeout is what node-redis relaxes during maintenance; it only watches the socket
    // when one is set (this one never fires by itself within the test).
    const client = createClient({ url: proxy.url, RESP: 3, socket: { socketTimeout: 60_000, reconnectStrategy: false }, maintRelaxedSocketTimeout: RELAXED_SOCKET_TIMEOUT_MS });
    client.on('error', () => {});
    await client.connect();
    const ferrite = createFerrite({ transport: nodeRedisTransport(client, { closeClient: true }), timeout: CORE_TIMEOUT_MS });
    const key = `written:${randomUUID()}`;
    try {
      proxy.holdReplies();
      const started = performance.now();
      const outcome = ferrite.send('INCR', key).catch((error: unknown) => error);
      // Written and applied by the server; its reply is held by the proxy.
      await expect.poll(() => reader.get(key), WAIT).toBe('1');
      proxy.writeToClients(MIGRATING_PUSH);
      const error = await outcome;
      expect(error).toBeInstanceOf(FerriteTimeoutError);
      expect(isTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({ command: 'INCR', maybeApplied: true });
      // node-redis' failure, long before core's deadline.
      expect(performance.now() - started).toBeLessThan(CORE_TIMEOUT_MS / 2);
      expect(await reader.get(key)).toBe('1');
    } finally {
      await ferrite.close();
      await proxy.close();
    }
    expect(client.isOpen).toBe(false);
  });

  it('rejects a command node-redis never wrote (queued while it reconnects, taken back at the deadline) with maybeApplied false, and never sends it', async () => {
    const proxy = await controlledProxy(server.port);
    const client = createClient({ url: proxy.url, RESP: 3, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {});
    await client.connect();
    const transport = nodeRedisTransport(client, { closeClient: true });
    const ferrite = createFerrite({ transport, timeout: 300 });
    const key = `unsent:${randomUUID()}`;
    try {
      await proxy.refuse(true);
      await expect.poll(() => client.isReady, WAIT).toBe(false);
      const error = await ferrite.send('INCR', key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteTimeoutError);
      expect(error).toMatchObject({ command: 'INCR', maybeApplied: false });
      await proxy.refuse(false);
      // Anything node-redis kept for the reconnect is written before this PING's reply.
      const patient = createFerrite({ transport, timeout: CORE_TIMEOUT_MS });
      await expect.poll(() => patient.send('PING').catch((e: unknown) => e), WAIT).toBe('PONG');
      expect(await reader.exists(key)).toBe(0);
    } finally {
      await ferrite.close();
      await proxy.close();
    }
    expect(client.isOpen).toBe(false);
  });
});
