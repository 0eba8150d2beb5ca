import { Emulator, startEmulator, type RunningEmulator } from '@ferrite/emulator';
import { GlideClient, Logger, ProtocolVersion } from '@valkey/valkey-glide';
import { afterEach, describe, expect, it } from 'vitest';
import { glideTransport } from './index.js';

Logger.init('off');

describe('a dedicated connection closed after its server restarted', () => {
  let server: RunningEmulator | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it.each([
    ['RESP2', ProtocolVersion.RESP2],
    ['RESP3', ProtocolVersion.RESP3],
  ] as const)('%s: ends only itself, never the connection the restarted server gave its id', async (_label, protocol) => {
    server = await startEmulator();
    const configuration = { addresses: [{ host: server.host, port: server.port }], protocol, requestTimeout: 2000 };
    const transport = glideTransport(await GlideClient.createClient(configuration), { configuration, closeClient: true });
    try {
      const dedicated = await transport.dedicated();
      const id = Number(await dedicated.send({ name: 'CLIENT', args: ['ID'] }));
      // The restarted server numbers connections from 1 again: by the time the dedicated
      // connection is closed, its id belongs to another client, from another address.
      const restarted = new Emulator();
      while (restarted.openSessions().length < id - 1) restarted.createSession();
      const stranger = restarted.createSession({ address: '127.0.0.1:1' });
      expect(stranger.id).toBe(id);
      await server.restart({ emulator: restarted });

      await dedicated.close();
      expect(restarted.session(id)).toBe(stranger);
      // The kill went out (through the transport's own client, reconnected): a connection of the
      // same id from the dedicated connection's address would have been ended.
      expect(await transport.send({ name: 'PING', args: [] })).toBe('PONG');
    } finally {
      await transport.close();
    }
  });
});
