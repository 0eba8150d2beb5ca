import { createFerrite, FerriteConnectionError, FerriteTimeoutError, type Transport, type WireCommand } from '@ferrite/core';
import { ioredisTransport } from '@ferrite/ioredis';
import type { FaultServer } from '@ferrite/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorFaultServer } from './fault-servers.js';

/*
 * The ioredis transport hands a command to ioredis only when the connection can write it at once,
 * so that `maybeApplied: false` is only ever said of a command that never left the process. Each
 * case counts on the emulator (behind a fault proxy) whether the command was applied.
 */

const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

/** Generous: a reconnect under a loaded machine. */
const RECONNECT_WAIT = { timeout: 10_000, interval: 50 };

/** Cuts the client's connection and refuses its reconnects, until {@link letBackIn}. */
async function cutAndKeepOut(server: FaultServer, client: Redis): Promise<void> {
  server.proxy.refuseNewConnections(true);
  await server.proxy.cut();
  await expect.poll(() => client.status, RECONNECT_WAIT).not.toBe('ready');
}

/**
 * Lets the client reconnect and waits until it serves again: anything left for the reconnect
 * (in ioredis' queue or the transport's) is written before this PING.
 */
async function letBackIn(server: FaultServer, transport: Transport): Promise<void> {
  server.proxy.refuseNewConnections(false);
  await expect.poll(() => transport.send(cmd('PING')).catch((e: unknown) => e), RECONNECT_WAIT).toBe('PONG');
}

describe.each([2, 3] as const)('ioredis transport, RESP%i: maybeApplied false only when provably unsent', (protocol) => {
  let server: FaultServer | undefined;
  const clients: Redis[] = [];
  const transports: Transport[] = [];

  /**
   * A user client configured as the transport needs, so the transport writes on this very
   * connection (its socket is the one a case destroys). Reconnects keep trying: only a deadline,
   * an abort or `maxRetriesPerRequest` ends a wait.
   */
  const open = async (options: { maxRetriesPerRequest?: number | null } = {}) => {
    server = await emulatorFaultServer();
    const client = new Redis({
      host: server.proxy.host,
      port: server.proxy.port,
      protocol,
      stringNumbers: true,
      ...(protocol === 3 ? { replyMapping: 'resp3' as const } : {}),
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => 50,
      maxRetriesPerRequest: options.maxRetriesPerRequest ?? null,
    });
    client.on('error', () => {});
    const transport = ioredisTransport(client, { closeClient: true });
    clients.push(client);
    transports.push(transport);
    expect(await transport.send(cmd('PING'))).toBe('PONG');
    return { server, client, transport };
  };

  afterEach(async () => {
    for (const transport of transports.splice(0)) await transport.close();
    clients.splice(0);
    await server?.close();
    server = undefined;
  });

  it('rejects a call whose deadline passes while the client reconnects with maybeApplied false, and never sends it', async () => {
    const { server, client, transport } = await open();
    const ferrite = createFerrite({ transport, timeout: 300 });
    await cutAndKeepOut(server, client);
    const single = ferrite.send('INCR', 'unsent-single').catch((e: unknown) => e);
    const batched = transport.batch([cmd('INCR', 'unsent-batch')], { signal: AbortSignal.timeout(300) });
    const error = await single;
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(error).toMatchObject({ maybeApplied: false });
    const [entry] = await batched;
    expect(entry).toMatchObject({ ok: false, error: { maybeApplied: false } });
    await letBackIn(server, transport);
    expect(await transport.send(cmd('GET', 'unsent-single'))).toBeNull();
    expect(await server.counter('unsent-single')).toBe(0);
    expect(await server.counter('unsent-batch')).toBe(0);
  });

  it('sends a call made while the client reconnects once the connection is back, exactly once', async () => {
    const { server, client, transport } = await open();
    await cutAndKeepOut(server, client);
    const first = transport.send(cmd('INCR', 'sent-later'));
    const second = transport.batch([cmd('INCR', 'sent-later'), cmd('GET', 'sent-later')]);
    server.proxy.refuseNewConnections(false);
    // In call order, after the reconnect.
    expect(await first).toBe(1);
    expect(await second).toEqual([
      { ok: true, value: 2 },
      { ok: true, value: '2' },
    ]);
    expect(await server.counter('sent-later')).toBe(2);
  });

  it('rejects a command written before the connection was cut with maybeApplied true', async () => {
    const { server, transport } = await open();
    // The server applies the INCR, then the link goes before its reply can come back.
    const stop = server.onWrite('written-then-cut', () => void server.proxy.cut());
    const error = await transport.send(cmd('INCR', 'written-then-cut')).catch((e: unknown) => e);
    stop();
    expect(error).toBeInstanceOf(FerriteConnectionError);
    expect(error).toMatchObject({ maybeApplied: true });
    expect(await server.counter('written-then-cut')).toBe(1);
  });

  it('never writes a call made while the socket is not writable but the status still says ready, once the caller was told false', async () => {
    const { server, client, transport } = await open();
    const ferrite = createFerrite({ transport, timeout: 300 });
    server.proxy.refuseNewConnections(true);
    // The socket goes in this very turn; ioredis learns of it (status leaves 'ready') only later.
    client.stream.destroy();
    expect(client.status).toBe('ready');
    const error = await ferrite.send('INCR', 'not-writable').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(error).toMatchObject({ maybeApplied: false });
    await letBackIn(server, transport);
    expect(await server.counter('not-writable')).toBe(0);
  });

  it('gives up on a waiting call after maxRetriesPerRequest + 1 failed attempts, with maybeApplied false', async () => {
    const { server, client, transport } = await open({ maxRetriesPerRequest: 1 });
    await cutAndKeepOut(server, client);
    // No deadline: only the client's own limit ends the wait.
    const error = await transport.send(cmd('INCR', 'gave-up')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteConnectionError);
    expect(error).toMatchObject({ maybeApplied: false });
    await letBackIn(server, transport);
    expect(await server.counter('gave-up')).toBe(0);
  });

  it('withdraws a waiting call when the transport closes, with maybeApplied false', async () => {
    const { server, client, transport } = await open();
    await cutAndKeepOut(server, client);
    const pending = transport.send(cmd('INCR', 'closed-while-waiting')).catch((e: unknown) => e);
    await transport.close();
    expect(await pending).toMatchObject({ maybeApplied: false });
    expect(await server.counter('closed-while-waiting')).toBe(0);
  });
});
