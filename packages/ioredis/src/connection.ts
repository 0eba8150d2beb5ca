import { FerriteConnectionError } from '@ferrite/core';
import type { Redis, RedisOptions } from 'ioredis';
import { ownConnectionOptions } from './options.js';

/** What `Redis` and `Cluster` share for their life cycle. */
interface Client {
  readonly status: string;
  connect(): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  once(event: 'ready' | 'end', listener: () => void): unknown;
  off(event: 'ready' | 'end', listener: () => void): unknown;
}

/** Resolves once the client is ready; connects a lazy one. */
export async function whenReady(client: Client): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') {
    await client.connect();
    return;
  }
  if (client.status === 'end') throw new FerriteConnectionError('ioredis: the client is closed');
  await new Promise<void>((resolve, reject) => {
    const onReady = () => (client.off('end', onEnd), resolve());
    const onEnd = () => (client.off('ready', onReady), reject(new FerriteConnectionError('ioredis: the client ended before it was ready')));
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/**
 * Closes a client: a ready one lets pending replies arrive first (QUIT); one that is not connected
 * (lazy, or reconnecting to a server that is down) is disconnected at once, as QUIT would wait for
 * the server. Resolves once ioredis reports the client ended, so `status` is final afterwards.
 */
export async function closeClient(client: Client): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  if (client.status === 'ready') {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  } else {
    client.disconnect();
  }
  if (client.status !== 'end') await ended;
}

/** Closes a client at once, abandoning pending replies (they reject); resolves once it has ended. */
export async function disconnectClient(client: Client): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  client.disconnect();
  if (client.status !== 'end') await ended;
}

/**
 * A connection of the transport's own, duplicated from `source` (same address, auth, TLS,
 * database, protocol) with the decoder settings the transport needs.
 */
export function duplicateConnection(source: Redis, overrides: Partial<RedisOptions> = {}): Redis {
  const connection = source.duplicate({ ...ownConnectionOptions(source.options), ...overrides });
  // Failures reach the caller through the commands; without a listener ioredis logs every
  // reconnect attempt as an unhandled error event.
  connection.on('error', () => {});
  return connection;
}
