import { FerriteConnectionError } from '@ferrite/core';
import { within } from '@ferrite/core/transport';
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

/** How long QUIT may take before the connection is ended anyway (a server that stopped answering). */
const QUIT_GRACE_MS = 300;
/** How long an ended connection may take to close before its socket is destroyed. */
const END_GRACE_MS = 250;
/** How long a destroyed socket may take to report the end. */
const DESTROY_GRACE_MS = 100;

/** Resolves once the client is ready; connects a lazy one. */
export async function whenReady(client: Client): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') {
    await client.connect();
    return;
  }
  if (client.status === 'end') throw new FerriteConnectionError('ioredis: the client is closed', { maybeApplied: false });
  await new Promise<void>((resolve, reject) => {
    const onReady = () => (client.off('end', onEnd), resolve());
    const onEnd = () => (client.off('ready', onReady), reject(new FerriteConnectionError('ioredis: the client ended before it was ready', { maybeApplied: false })));
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** Read afresh each time: the status changes while `closeClient` awaits. */
function hasEnded(client: Client): boolean {
  return client.status === 'end';
}

/** The sockets of a `Redis` (one) or a `Cluster` (one per node), for when ending them politely failed. */
function socketsOf(client: Client): Array<{ destroy(): void }> {
  const nodes = (client as unknown as { nodes?: () => Redis[] }).nodes;
  const connections = typeof nodes === 'function' ? nodes.call(client) : [client as unknown as Redis];
  return connections.flatMap((connection) => {
    const stream = (connection as unknown as { stream?: { destroy(): void } }).stream;
    return stream ? [stream] : [];
  });
}

/**
 * Closes a client within about 650 ms whatever the server does: a ready one gets QUIT
 * (pending replies arrive first) for a moment, then is disconnected; a socket that still does not
 * close is destroyed. One that is not connected (lazy, or reconnecting to a server that is down)
 * is disconnected at once.
 */
export async function closeClient(client: Client): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  if (client.status === 'ready') {
    let answered = false;
    const settled = () => {
      answered = true;
    };
    await within(Promise.race([client.quit().then(settled, () => {}), ended.then(settled)]), QUIT_GRACE_MS);
    // After QUIT the client ends by itself; disconnecting it now would start a second close.
    if (answered && !hasEnded(client)) await within(ended, END_GRACE_MS);
  }
  if (!hasEnded(client)) client.disconnect();
  if (!hasEnded(client)) await within(ended, END_GRACE_MS);
  if (hasEnded(client)) return;
  for (const socket of socketsOf(client)) socket.destroy();
  await within(ended, DESTROY_GRACE_MS);
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
 * database, protocol) with the decoder settings the transport needs and no resending.
 */
export function duplicateConnection(source: Redis, overrides: Partial<RedisOptions> = {}): Redis {
  const connection = source.duplicate({ ...ownConnectionOptions(source.options), ...overrides });
  // Failures reach the caller through the commands; without a listener ioredis logs every
  // reconnect attempt as an unhandled error event.
  connection.on('error', () => {});
  return connection;
}
