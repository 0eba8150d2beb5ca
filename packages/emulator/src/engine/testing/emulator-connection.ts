import { startEmulator } from '../../server.js';
import type { RunningEmulator, StartEmulatorOptions } from '../../server.js';
import { RawRespClient } from './raw-client.js';
import type { RespArgument, RespValue } from './raw-client.js';

/** One raw RESP connection to a test emulator, already switched to the protocol under test. */
export interface TestConnection {
  send(...args: RespArgument[]): Promise<RespValue>;
  /** Ends the connection and waits until the socket is closed. */
  close(): Promise<void>;
  readonly client: RawRespClient;
}

/** An emulator on a free loopback port, plus every connection opened to it, closed together. */
export interface TestEmulator {
  readonly running: RunningEmulator;
  connect(): Promise<TestConnection>;
  close(): Promise<void>;
}

/**
 * Starts `startEmulator(options)` on 127.0.0.1, port 0, for command-level tests that speak raw
 * RESP: `connect()` opens a socket and sends `HELLO 3` first when `protocol` is 3.
 */
export async function startTestEmulator(protocol: 2 | 3, options: StartEmulatorOptions = {}): Promise<TestEmulator> {
  const running = await startEmulator({ ...options, host: '127.0.0.1', port: 0 });
  const clients = new Set<RawRespClient>();
  return {
    running,
    async connect() {
      const client = await RawRespClient.connect(running.port, running.host);
      clients.add(client);
      if (protocol === 3) {
        const hello = await client.send('HELLO', '3');
        if (hello.type !== 'map') throw new Error(`HELLO 3 replied ${JSON.stringify(hello)}`);
      }
      return {
        client,
        send: (...args) => client.send(...args),
        async close() {
          clients.delete(client);
          await client.close();
        },
      };
    },
    async close() {
      await Promise.all([...clients].map((client) => client.close()));
      await running.close();
    },
  };
}
