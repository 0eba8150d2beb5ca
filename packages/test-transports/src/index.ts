import type { Transport } from '@ferrite/core';
import { Emulator, memoryTransport, startEmulator, type EmulatorOptions } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe } from 'vitest';

export type Driver = 'memory' | 'ioredis' | 'node-redis';

export interface TransportTarget {
  readonly driver: Driver;
  readonly protocol: 2 | 3;
  readonly label: string;
}

/** Every transport the SDK ships, in both protocol versions. */
export const transportTargets: readonly TransportTarget[] = (['memory', 'ioredis', 'node-redis'] as const).flatMap((driver) =>
  ([2, 3] as const).map((protocol) => ({ driver, protocol, label: `${driver} RESP${protocol}` })),
);

export interface TransportHarness {
  readonly target: TransportTarget;
  /** The transport under test; available from the suite's own `beforeAll` on. */
  readonly transport: Transport;
  /** The emulator behind it (in-process, or serving the TCP port the driver connects to). */
  readonly emulator: Emulator;
}

export interface EachTransportOptions {
  /** Options for each target's fresh emulator (a fake clock for TTL tests, …). */
  readonly emulatorOptions?: () => EmulatorOptions;
  /** Only these drivers. */
  readonly drivers?: readonly Driver[];
}

/** A transport over a fresh emulator of its own, and how to close both. */
export interface Opened {
  readonly transport: Transport;
  readonly emulator: Emulator;
  close(): Promise<void>;
}

/** Opens `target` over a fresh emulator, for a test that needs several transports at once. */
export async function openTransport(target: TransportTarget, options: EmulatorOptions = {}): Promise<Opened> {
  const emulator = new Emulator(options);
  if (target.driver === 'memory') {
    const transport = memoryTransport({ emulator, protocol: target.protocol });
    return { transport, emulator, close: () => transport.close() };
  }
  const server = await startEmulator({ emulator });
  if (target.driver === 'ioredis') {
    const client = new Redis({ host: server.host, port: server.port, protocol: target.protocol, lazyConnect: true });
    await client.connect();
    const transport = ioredisTransport(client, { closeClient: true });
    return { transport, emulator, close: async () => (await transport.close(), await server.close()) };
  }
  const client = createClient({ url: server.url, RESP: target.protocol });
  await client.connect();
  const transport = nodeRedisTransport(client, { closeClient: true });
  return { transport, emulator, close: async () => (await transport.close(), await server.close()) };
}

/**
 * Runs a plugin suite once per transport target: in-process on the memory transport, and over
 * real TCP against the emulator through ioredis and node-redis, each in RESP2 and RESP3.
 */
export function describeEachTransport(
  name: string,
  suite: (harness: TransportHarness) => void,
  options: EachTransportOptions = {},
): void {
  const targets = transportTargets.filter((t) => !options.drivers || options.drivers.includes(t.driver));
  for (const target of targets) {
    describe(`${name} (${target.label})`, () => {
      let opened: Opened | undefined;
      const unopened = (): never => {
        throw new Error('the transport harness is only available inside beforeAll/it');
      };
      const harness: TransportHarness = {
        target,
        get transport() {
          return opened?.transport ?? unopened();
        },
        get emulator() {
          return opened?.emulator ?? unopened();
        },
      };
      beforeAll(async () => {
        opened = await openTransport(target, options.emulatorOptions?.() ?? {});
      });
      afterAll(async () => {
        await opened?.close();
      });
      suite(harness);
    });
  }
}
