import { createFerrite, definePlugin, FerriteConnectionError, FerriteTimeoutError, FerriteValidationError, isTimeoutError, type WireCommand } from '@ferrite/core';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { AbortError, createClient, TimeoutError } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateError } from './errors.js';
import { nodeRedisTransport } from './index.js';

const skip = redisServerMissing();
const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

describe.skipIf(Boolean(skip))('node-redis transport on one node: ownership, close, deadlines', () => {
  let server: RedisServer;
  const opened: Array<{ readonly isOpen: boolean; destroy(): void }> = [];

  async function connectedClient() {
    const client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
    opened.push(client);
    return client;
  }

  /** How many connections the server has, as seen through `probe` (one of them). */
  async function connectionCount(probe: { sendCommand(args: string[]): Promise<unknown> }): Promise<number> {
    const list = await probe.sendCommand(['CLIENT', 'LIST']);
    return String(list).trim().split('\n').length;
  }

  async function eventually(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(opened.filter((c) => c.isOpen).map((c) => c.destroy()));
    await server?.stop();
  });

  it('leaves the user client open after close by default, and refuses work afterwards', async () => {
    const client = await connectedClient();
    const transport = nodeRedisTransport(client);
    expect(await transport.send(cmd('PING'))).toBe('PONG');
    await transport.close();
    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe('PONG');
    await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('closes the user client with closeClient: true, and close stays idempotent', async () => {
    const client = await connectedClient();
    const transport = nodeRedisTransport(client, { closeClient: true });
    expect(await transport.send(cmd('PING'))).toBe('PONG');
    await Promise.all([transport.close(), transport.close()]);
    await transport.close();
    expect(client.isOpen).toBe(false);
  });

  it('closes the dedicated connections it opened, on the server too', async () => {
    const client = await connectedClient();
    const transport = nodeRedisTransport(client);
    const before = await connectionCount(client);
    const dedicated = [await transport.dedicated(), await transport.dedicated()];
    for (const connection of dedicated) expect(await connection.send(cmd('PING'))).toBe('PONG');
    expect(await connectionCount(client)).toBe(before + 2);
    await transport.close();
    await eventually(async () => (await connectionCount(client)) === before);
    for (const connection of dedicated) await expect(connection.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('ends the connection node-redis reopens on its own when a dedicated one the server dropped is closed at once', async () => {
    const client = await connectedClient();
    const transport = nodeRedisTransport(client);
    const before = await connectionCount(client);
    const received = async () => Number(/total_connections_received:(\d+)/.exec(String(await client.sendCommand(['INFO', 'stats'])))?.[1]);
    const dedicated = await transport.dedicated();
    const id = String(await dedicated.send(cmd('CLIENT', 'ID')));
    // Closed as soon as the failure is heard, as a caller that drops a broken connection does:
    // node-redis has started opening a new socket by then.
    const closed = dedicated.send(cmd('BLPOP', 'never-pushed', '30')).catch(() => dedicated.close());
    await eventually(async () => String(await client.sendCommand(['CLIENT', 'LIST'])).includes('cmd=blpop'));
    const receivedBefore = await received();
    await client.sendCommand(['CLIENT', 'KILL', 'ID', id]);
    await closed;
    // That socket reaches the server, and is ended: no connection stays (it would keep the process alive).
    await eventually(async () => (await received()) > receivedBefore);
    await eventually(async () => (await connectionCount(client)) === before);
    await transport.close();
  });

  it('rejects pending and later commands with a connection error when the user destroys the client', async () => {
    const client = await connectedClient();
    const transport = nodeRedisTransport(client);
    const probe = await connectedClient();
    const pending = transport.send(cmd('BLPOP', 'never-pushed', '30')).catch((e: unknown) => e);
    await eventually(async () => String(await probe.sendCommand(['CLIENT', 'LIST'])).includes('cmd=blpop'));
    client.destroy();
    expect(await pending).toBeInstanceOf(FerriteConnectionError);
    await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(transport.dedicated()).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('rejects a command in flight with a connection error when the server goes away', async () => {
    const doomed = await startRedisServer();
    const client = createClient({ url: doomed.url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    opened.push(client);
    const transport = nodeRedisTransport(client);
    await using dedicated = await transport.dedicated();
    const blocked = dedicated.send(cmd('BLPOP', 'never-pushed', '30')).catch((e: unknown) => e);
    expect(await transport.send(cmd('CLIENT', 'LIST'))).toMatch(/cmd=blpop/);
    await doomed.stop();
    expect(await blocked).toBeInstanceOf(FerriteConnectionError);
    await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('gives up opening a dedicated connection to an unreachable server at the deadline', async () => {
    const doomed = await startRedisServer();
    const client = createClient({ url: doomed.url }); // keeps reconnecting, so it stays open
    client.on('error', () => {});
    await client.connect();
    opened.push(client);
    const transport = nodeRedisTransport(client);
    const ferrite = createFerrite({ transport, timeout: 200 });
    const plugin = definePlugin({ name: 'probe', setup: (ctx) => ({ open: () => ctx.dedicated() }) });
    await doomed.stop();
    const started = performance.now();
    const error = await ferrite.extend(plugin).probe.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(performance.now() - started).toBeLessThan(2000);
    await ferrite.close();
  });

  it('does not connect a client the user has not connected', async () => {
    const client = createClient({ url: server.url });
    const transport = nodeRedisTransport(client);
    await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    expect(client.isOpen).toBe(false);
  });

  it('leaves deadlines to core: a stalled server rejects the call with FerriteTimeoutError, and the connection stays usable', async () => {
    const client = await connectedClient();
    const ferrite = createFerrite({ transport: nodeRedisTransport(client), timeout: 100 });
    // DEBUG SLEEP really blocks the server: the command is written and no reply comes for 1 s.
    const error = await ferrite.send('DEBUG', 'SLEEP', '1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ command: 'DEBUG', timeoutMs: 100, maybeApplied: true });
    // The late OK is dropped; the next command gets its own reply.
    const longer = createFerrite({ transport: nodeRedisTransport(client), timeout: 10_000 });
    expect(await longer.send('ECHO', 'after')).toBe('after');
  });

  it("says maybeApplied true for node-redis' TimeoutError, false only for a command withdrawn unwritten", async () => {
    // node-redis also rejects commands it has written with TimeoutError (it flushes those waiting
    // for a reply with it during a maintenance handoff), so the error alone proves nothing was sent.
    expect(translateError(new TimeoutError(), 'INCR', 50)).toMatchObject({ name: 'FerriteTimeoutError', maybeApplied: true });
    expect(translateError(new AbortError(), 'INCR', 50)).toMatchObject({ name: 'FerriteConnectionError', maybeApplied: false });
  });

  it('rejects arguments that are not strings or Buffers with a validation error, sending nothing', async () => {
    const client = await connectedClient();
    const transport = nodeRedisTransport(client);
    const command = { name: 'SET', args: ['typed:key', 5] } as unknown as WireCommand;
    await expect(transport.send(command)).rejects.toBeInstanceOf(FerriteValidationError);
    const [entry] = await transport.batch([command]);
    expect(entry?.ok === false && entry.error).toBeInstanceOf(FerriteValidationError);
    expect(await client.exists('typed:key')).toBe(0);
  });

  it('reports the protocol the client was configured for', async () => {
    const resp2 = createClient({ url: server.url, RESP: 2 });
    expect(nodeRedisTransport(resp2).protocol).toBe(2);
    expect(nodeRedisTransport(createClient({ url: server.url })).protocol).toBe(3);
  });
  it("sends a command on a ready connection without node-redis' own timeout: core owns the call's deadline", async () => {
    const client = createClient({ url: server.url, commandOptions: { timeout: 1 } });
    client.on('error', () => {});
    await client.connect();
    opened.push(client);
    const transport = nodeRedisTransport(client);
    const hold = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // From a check-phase callback, node-redis' write turn (setImmediate) comes after the next
    // timers phase, so a 1 ms driver timeout expires first if the command carries one.
    const outcomes = await new Promise<unknown[]>((resolve) =>
      setImmediate(() => {
        const raw = client.sendCommand(['PING']).then(
          () => 'written',
          (error: unknown) => (error instanceof TimeoutError ? 'driver timeout' : String(error)),
        );
        const viaTransport = transport.send(cmd('PING'));
        hold(5);
        resolve(Promise.all([raw, viaTransport]));
      }),
    );
    expect(outcomes).toEqual(['driver timeout', 'PONG']);
  });
});
