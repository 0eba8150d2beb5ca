/** The three ways the cases reach a Ferrite server, each with the raw driver kept for comparison. */
import type { Transport } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

export type TransportName = 'memory' | 'ioredis' | 'node-redis';

export const TRANSPORT_NAMES: readonly TransportName[] = ['memory', 'ioredis', 'node-redis'];

export interface BenchConnection {
  readonly transport: Transport;
  /** `GET key` straight through the driver, without the SDK; absent for the memory transport. */
  readonly rawGet?: (key: string) => Promise<unknown>;
  /** Closes the transport and the driver's client. */
  close(): Promise<void>;
}

export async function connect(name: TransportName, url: string): Promise<BenchConnection> {
  switch (name) {
    case 'memory': {
      const transport = memoryTransport();
      return { transport, close: () => transport.close() };
    }
    case 'ioredis': {
      const client = new Redis(url, { lazyConnect: true });
      await client.connect();
      const transport = ioredisTransport(client, { closeClient: true });
      return { transport, rawGet: (key) => client.get(key), close: () => transport.close() };
    }
    case 'node-redis': {
      const client = createClient({ url });
      await client.connect();
      const transport = nodeRedisTransport(client, { closeClient: true });
      return { transport, rawGet: (key) => client.get(key), close: () => transport.close() };
    }
  }
}
