import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  createFerrite,
  FerriteConnectionError,
  FerriteReplyError,
  FerriteTimeoutError,
  isReplyError,
  type Transport,
  type WireCommand,
} from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ioredisTransport, type IoredisTransportOptions } from './index.js';

const skip = redisServerMissing();
const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

describe.skipIf(Boolean(skip))('ioredis transport over a single node', () => {
  let server: RedisServer;
  const opened: Array<{ client: Redis; transport: Transport }> = [];

  const open = (options: IoredisTransportOptions = {}, clientOptions: RedisOptions = {}) => {
    const client = new Redis({ host: server.host, port: server.port, ...clientOptions });
    const transport = ioredisTransport(client, options);
    opened.push({ client, transport });
    return { client, transport };
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    for (const { client, transport } of opened.splice(0)) {
      await transport.close();
      client.disconnect();
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('close', () => {
    it('leaves the user client open by default', async () => {
      const { client, transport } = open();
      expect(await transport.send(cmd('SET', 'owned-by-user', 'yes'))).toBe('OK');
      await transport.close();
      expect(client.status).toBe('ready');
      expect(await client.get('owned-by-user')).toBe('yes');
      await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    });

    it('closes the user client with closeClient: true', async () => {
      const { client, transport } = open({ closeClient: true });
      expect(await transport.send(cmd('PING'))).toBe('PONG');
      await transport.close();
      expect(client.status).toBe('end');
    });

    it('closes the client it was handed directly (no duplicate) only when asked', async () => {
      const direct = { stringNumbers: true, replyMapping: 'resp3', autoResendUnfulfilledCommands: false } as const;
      const kept = open({}, direct);
      expect(await kept.transport.send(cmd('PING'))).toBe('PONG');
      await kept.transport.close();
      expect(await kept.client.ping()).toBe('PONG');

      const closed = open({ closeClient: true }, direct);
      expect(await closed.transport.send(cmd('PING'))).toBe('PONG');
      await closed.transport.close();
      expect(closed.client.status).toBe('end');
    });

    it('closes a user client that never connected without waiting for a server', async () => {
      const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true });
      const transport = ioredisTransport(client, { closeClient: true });
      await transport.close();
      expect(client.status).toBe('end');
      const unreachable = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 50 });
      unreachable.on('error', () => {});
      await ioredisTransport(unreachable, { closeClient: true }).close();
      expect(unreachable.status).toBe('end');
    });

    it('ends its dedicated connections, and a closed dedicated connection leaves the transport working', async () => {
      const { transport } = open();
      const first = await transport.dedicated();
      const second = await transport.dedicated();
      await first.close();
      await expect(first.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
      expect(await transport.send(cmd('PING'))).toBe('PONG');
      expect(await second.send(cmd('PING'))).toBe('PONG');
      await transport.close();
      await expect(second.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    });
  });

  describe('writes', () => {
    it('writes a command with none other in flight at once; otherwise the first of a turn at once and the rest of the turn in one write, in order', async () => {
      const { client, transport } = open({}, { stringNumbers: true, replyMapping: 'resp3', autoResendUnfulfilledCommands: false });
      expect(await transport.send(cmd('DEL', 'coalesced'))).toBeTypeOf('number');
      // Every call into the socket's own write (one per chunk, or one for all buffered chunks).
      const stream = client.stream as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
      const socketWrites: number[] = [];
      const write = stream._write.bind(stream);
      const writev = stream._writev.bind(stream);
      stream._write = (...args) => (socketWrites.push(1), write(...args));
      stream._writev = (chunks, ...rest) => (socketWrites.push((chunks as unknown[]).length), writev(chunks, ...rest));
      const replies = await Promise.all([
        transport.send(cmd('RPUSH', 'coalesced', 'a')),
        transport.send(cmd('RPUSH', 'coalesced', 'b')),
        transport.send(cmd('RPUSH', 'coalesced', 'c')),
        transport.send(cmd('RPUSH', 'coalesced', 'd')),
      ]).then((all) => all.slice(0, 3));
      expect(replies).toEqual([1, 2, 3]);
      // The first goes out at once (none other in flight), the second too (the first of the turn
      // with one in flight), the rest of the turn together.
      expect(socketWrites).toEqual([1, 1, 2]);
      // A lone call is written within its turn too, and a later turn is a write of its own.
      expect(await transport.send(cmd('LRANGE', 'coalesced', '0', '-1'))).toEqual(['a', 'b', 'c', 'd']);
      expect(socketWrites).toEqual([1, 1, 2, 1]);
      // While a command is in flight (a blocked pop holds the connection), the first command of
      // a later turn goes out at once and the rest of that turn together.
      const blocked = transport.send(cmd('BLPOP', 'coalesced:empty', '0.05'));
      await Promise.resolve();
      const queued = Promise.all([
        transport.send(cmd('LLEN', 'coalesced')),
        transport.send(cmd('LINDEX', 'coalesced', '0')),
        transport.send(cmd('LINDEX', 'coalesced', '1')),
      ]);
      await expect(blocked).resolves.toBeNull();
      expect(await queued).toEqual([4, 'a', 'b']);
      expect(socketWrites).toEqual([1, 1, 2, 1, 1, 1, 2]);
    });
  });

  describe('deadlines', () => {
    it("leaves the deadline to core: a stalled server rejects the call with FerriteTimeoutError, and the connection recovers", async () => {
      const { transport } = open();
      await transport.send(cmd('PING'));
      const ferrite = createFerrite({ transport, timeout: 100 });
      const error = await ferrite.send('DEBUG', 'SLEEP', '0.6').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteTimeoutError);
      expect(error).toMatchObject({ command: 'DEBUG', timeoutMs: 100, maybeApplied: true });
      await expect.poll(() => transport.send(cmd('PING')).catch((e: unknown) => e), { timeout: 10_000 }).toBe('PONG');
    });

    it("turns ioredis' own commandTimeout into FerriteTimeoutError too", async () => {
      const { transport } = open({}, { commandTimeout: 100 });
      // The first PING may time out too on a busy machine while the connection is made.
      await expect.poll(() => transport.send(cmd('PING')).catch((e: unknown) => e), { timeout: 10_000 }).toBe('PONG');
      const error = await transport.send(cmd('DEBUG', 'SLEEP', '0.6')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteTimeoutError);
      expect((error as FerriteTimeoutError).timeoutMs).toBe(100);
      await expect.poll(() => transport.send(cmd('PING')).catch((e: unknown) => e), { timeout: 10_000 }).toBe('PONG');
    });
  });

  it('does not resend an unanswered command after the connection drops', async () => {
    const { transport } = open();
    await using dedicated = await transport.dedicated();
    const id = await dedicated.send(cmd('CLIENT', 'ID'));
    await transport.send(cmd('DEL', 'resend-list'));
    const blocked = dedicated.send(cmd('BLPOP', 'resend-list', '5')).catch((e: unknown) => e);
    // Wait until the server really holds the BLPOP, then cut that connection.
    await expect
      .poll(async () => String(await transport.send(cmd('CLIENT', 'LIST', 'ID', String(id)))), { timeout: 10_000 })
      .toContain('cmd=blpop');
    expect(await transport.send(cmd('CLIENT', 'KILL', 'ID', String(id)))).toBe(1);
    // Resent after the reconnect, BLPOP would wait on and take this element instead of failing.
    const error = await blocked;
    expect(error).toBeInstanceOf(FerriteConnectionError);
    await transport.send(cmd('RPUSH', 'resend-list', 'once'));
    expect(await transport.send(cmd('LPOP', 'resend-list'))).toBe('once');
    // The dedicated connection reconnects by itself and serves again.
    await expect.poll(() => dedicated.send(cmd('PING')).catch((e: unknown) => e), { timeout: 10_000 }).toBe('PONG');
  });

  it('closes a dedicated connection at once, abandoning a blocking call still pending on it', async () => {
    const { transport } = open();
    const dedicated = await transport.dedicated();
    const id = await dedicated.send(cmd('CLIENT', 'ID'));
    await transport.send(cmd('DEL', 'close-list'));
    const blocked = dedicated.send(cmd('BLPOP', 'close-list', '5')).catch((e: unknown) => e);
    await expect
      .poll(async () => String(await transport.send(cmd('CLIENT', 'LIST', 'ID', String(id)))), { timeout: 10_000 })
      .toContain('cmd=blpop');
    const started = performance.now();
    await dedicated.close();
    // QUIT would have queued behind the BLPOP for its 5 s.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await blocked).toBeInstanceOf(FerriteConnectionError);
    await expect.poll(async () => String(await transport.send(cmd('CLIENT', 'LIST', 'ID', String(id)))), { timeout: 5000 }).toBe('');
  });

  it("ends a dedicated connection's handshake when the caller's signal fires", async () => {
    // A listener that accepts connections and never answers: the driver's ready check hangs.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: true, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      const transport = ioredisTransport(client);
      opened.push({ client, transport });
      const started = performance.now();
      const error = await transport.dedicated({ signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
      // Without the signal the handshake would wait on the silent server for ever.
      expect(performance.now() - started).toBeLessThan(5000);
      expect(error).toBeInstanceOf(FerriteConnectionError);
    } finally {
      silent.close();
    }
  });

  it("sends keys as given, without the client's keyPrefix, in send and batch alike", async () => {
    const { client, transport } = open({}, { keyPrefix: 'prefixed:' });
    await transport.send(cmd('SET', 'plain-key', '1'));
    await transport.batch([cmd('SET', 'plain-batch-key', '2')]);
    expect(await transport.send(cmd('EXISTS', 'plain-key', 'plain-batch-key', 'prefixed:plain-key'))).toBe(2);
    expect(await client.get('plain-key')).toBeNull(); // the client itself still prefixes
  });

  it('keeps the arguments out of reply errors from batches too, cause included', async () => {
    const { transport } = open();
    const secret = 'batch-secret-0xBADC0DE';
    await transport.send(cmd('SET', 'a-string', 'x'));
    const [entry] = await transport.batch([cmd('LPUSH', 'a-string', secret)]);
    expect(entry?.ok).toBe(false);
    const error = entry && !entry.ok ? entry.error : undefined;
    expect(error).toBeInstanceOf(FerriteReplyError);
    expect(isReplyError(error, 'wrongtype')).toBe(true);
    expect((error as Error).cause).toBeUndefined();
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(secret);
  });

  it('reports a connection failure as FerriteConnectionError', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const transport = ioredisTransport(client);
    const error = await transport.send(cmd('PING')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteConnectionError);
    await transport.close();
    client.disconnect();
  });
});
