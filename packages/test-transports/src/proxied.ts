import type { Transport } from '@ferrite/core';
import { Emulator, faultProxy, startEmulator, type FaultProxy } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { glideTransportTo, type TransportTarget } from './index.js';

/** A transport that reaches a fresh emulator through a fault proxy, for tests of a plugin under faults. */
export interface ProxiedTransport {
  readonly target: TransportTarget;
  readonly transport: Transport;
  readonly proxy: FaultProxy;
  readonly emulator: Emulator;
  /** Closes the transport, the proxy and the emulator. */
  close(): Promise<void>;
}

/** Opens `target` (a TCP driver) against a fresh emulator with a fault proxy in between. */
export async function openProxiedTransport(target: TransportTarget): Promise<ProxiedTransport> {
  if (target.driver === 'memory' || target.cluster) throw new Error('a fault proxy needs a single-node TCP target');
  const emulator = new Emulator();
  const server = await startEmulator({ emulator });
  const proxy = await faultProxy({ target: { port: server.port } });
  const transport = await connectThrough(proxy, target);
  return {
    target,
    transport,
    proxy,
    emulator,
    async close() {
      await transport.close();
      await proxy.close();
      await server.close();
    },
  };
}

/** A transport of `target`'s driver (single node) whose connection goes through `proxy`. */
export async function connectThrough(proxy: FaultProxy, target: TransportTarget): Promise<Transport> {
  if (target.driver === 'ioredis') {
    const client = new Redis({ host: proxy.host, port: proxy.port, protocol: target.protocol, lazyConnect: true });
    // Connection errors are what these tests cause: the transport reports them to the calls.
    client.on('error', () => {});
    await client.connect();
    return ioredisTransport(client, { closeClient: true });
  }
  if (target.driver === 'valkey-glide') return glideTransportTo(proxy.host, proxy.port, target.protocol);
  if (target.driver !== 'node-redis') throw new Error(`${target.driver}: a fault proxy needs a TCP driver`);
  const client = createClient({ url: proxy.url, RESP: target.protocol });
  client.on('error', () => {});
  await client.connect();
  return nodeRedisTransport(client, { closeClient: true });
}
