import { FerriteConnectionError, isConnectionError } from '@ferrite/core';
import type { WireCommand } from '@ferrite/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Emulator } from './engine/emulator.js';
import { memoryServer, type MemoryServer } from './memory-server.js';

const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

/** `CDC.INFO`'s fields (RESP3 map). */
async function cdcInfo(send: (command: WireCommand) => Promise<unknown>): Promise<Map<string, unknown>> {
  return (await send(cmd('CDC.INFO'))) as Map<string, unknown>;
}

describe('memoryServer', () => {
  let server: MemoryServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('restart() serves a new, empty engine with a new change log: the transport reconnects by itself, a blocked poll fails as a cut connection, a new dedicated one reaches the new log', async () => {
    server = memoryServer({ cdcCapacity: 50 });
    const transport = server.transport();
    const before = server.emulator;
    await transport.send(cmd('SET', 'k', 'v'));
    const oldLog = (await cdcInfo((command) => transport.send(command))).get('log_id');
    const feed = await transport.dedicated();
    const subscription = String(await feed.send(cmd('CDC.SUBSCRIBE', '*')));
    const blocked = feed.send(cmd('CDC.POLL', subscription, 'BLOCK', '0')).then(
      () => 'answered',
      (error: unknown) => error,
    );

    await server.restart();

    // The connection the poll waited on is gone: a connection error, as over TCP.
    const error = await blocked;
    expect(isConnectionError(error)).toBe(true);
    await expect(feed.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    // A new engine built from the same options: no data, a new log id, the same capacity.
    expect(server.emulator).not.toBe(before);
    expect(await transport.send(cmd('GET', 'k'))).toBeNull();
    const info = await cdcInfo((command) => transport.send(command));
    expect(info.get('log_id')).not.toBe(oldLog);
    expect(info.get('capacity')).toBe(50);
    expect(info.get('last_id')).toBe(0);
    // A dedicated connection opened now reads the new log.
    const next = await transport.dedicated();
    const fresh = String(await next.send(cmd('CDC.SUBSCRIBE', '*')));
    await transport.send(cmd('SET', 'after', '1'));
    const events = (await next.send(cmd('CDC.POLL', fresh))) as unknown[];
    expect(events).toHaveLength(1);
    // Nothing of the old engine is held: its connections are all closed.
    expect(before.openSessions()).toHaveLength(0);
    await transport.close();
    expect(server.emulator.openSessions()).toHaveLength(0);
  });

  it('restart() needs { emulator } when it was given one, serves the one given, and rejects once closed', async () => {
    const given = new Emulator();
    server = memoryServer({ emulator: given });
    expect(server.emulator).toBe(given);
    await expect(server.restart()).rejects.toBeInstanceOf(TypeError);
    const replacement = new Emulator();
    await server.restart({ emulator: replacement });
    expect(server.emulator).toBe(replacement);
    await server.close();
    await expect(server.restart({ emulator: new Emulator() })).rejects.toThrow('closed');
    expect(() => server?.transport()).toThrow('closed');
  });

  it('a transport closed by its user stays closed across a restart', async () => {
    server = memoryServer();
    const transport = server.transport({ protocol: 2 });
    expect(transport.protocol).toBe(2);
    await transport.close();
    await server.restart();
    await expect(transport.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
  });
});
