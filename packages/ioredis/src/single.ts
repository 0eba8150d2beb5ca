import { FerriteConnectionError, type BatchEntry, type DedicatedOptions, type DedicatedTransport, type ProtocolVersion, type Reply, type TransportNode, type TransportServer, type TransportSendOptions, type WireCommand } from '@ferrite/core';
import { TransportLifecycle, SingleNode } from '@ferrite/core/transport';
import type { Redis } from 'ioredis';
import { closeClient, disconnectClient, duplicateConnection, whenReady } from './connection.js';
import { usableAsIs, protocolOf } from './options.js';
import { translateError } from './errors.js';
import { executeBatch, executeWith } from './execute.js';

export interface ConnectionTransportSettings {
  /** Releases what this transport holds (its own connection; the user's client when asked). */
  readonly release: () => Promise<void>;
  /** Called once this transport has closed (a parent forgets its dedicated connection). */
  readonly onClosed?: () => void;
  /** The node as `nodes()` names it (a cluster node's id); default `host:port`. */
  readonly node?: TransportNode;
}

/** A transport over one ioredis connection: the main one of a single-node client, or a dedicated one. */
export class ConnectionTransport implements DedicatedTransport {
  readonly name = 'ioredis';
  readonly #connection: Redis;
  readonly #settings: ConnectionTransportSettings;
  readonly #lifecycle = new TransportLifecycle('ioredis');
  readonly #node: SingleNode;

  constructor(connection: Redis, settings: ConnectionTransportSettings) {
    this.#connection = connection;
    this.#settings = settings;
    const node = settings.node;
    this.#node = node ? new SingleNode(node.host, node.port, node.id) : new SingleNode(connection.options.host ?? '127.0.0.1', connection.options.port ?? 6379);
  }

  nodes(): Promise<readonly TransportNode[]> {
    return this.#node.nodes();
  }

  get protocol(): ProtocolVersion {
    return protocolOf(this.#connection);
  }

  /** The connection's address from its options (a Unix socket path has no port). */
  get server(): TransportServer {
    const { host, port, path, db } = this.#connection.options;
    const database = db ?? 0;
    return path ? { address: path, database } : { address: host ?? 'localhost', port: port ?? 6379, database };
  }

  send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    // `#whenOpen` inlined: this runs for every command, and its closure is a cost per call.
    try {
      this.#lifecycle.assertOpen();
      this.#node.assert(options?.node);
      return executeWith(this.#connection, command, this.#lifecycle, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    return this.#whenOpen(options?.node, () => executeBatch(this.#connection, commands, { lifecycle: this.#lifecycle, options }));
  }

  dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    return this.#whenOpen(options?.node, () => openDedicated(this.#connection, this.#lifecycle, options?.signal));
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      await this.#settings.release();
      this.#settings.onClosed?.();
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #whenOpen<T>(node: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      this.#lifecycle.assertOpen();
      this.#node.assert(node);
      return work();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * Connects `connection` (created lazy) and wraps it in a transport its caller owns. ioredis keeps
 * retrying a server that is down: `signal` (core's deadline) ends the attempt.
 */
export async function connectTransport(connection: Redis, settings: Omit<ConnectionTransportSettings, 'release'>, signal?: AbortSignal): Promise<ConnectionTransport> {
  const giveUp = (): void => connection.disconnect();
  signal?.addEventListener('abort', giveUp, { once: true });
  try {
    if (signal?.aborted) throw new FerriteConnectionError('ioredis: the caller stopped waiting for the connection', { maybeApplied: false });
    await whenReady(connection);
  } catch (error) {
    connection.disconnect();
    // Opening a connection sends no command of the caller's: nothing can have been applied.
    const failure = translateError(error, 'CONNECT', undefined);
    throw failure.code === 'CONNECTION' ? new FerriteConnectionError(failure.message, { maybeApplied: false }) : failure;
  } finally {
    signal?.removeEventListener('abort', giveUp);
  }
  return new ConnectionTransport(connection, { ...settings, release: () => disconnectClient(connection) });
}

/**
 * A new connection duplicated from `source` (same node, options and database), wrapped in a
 * transport the caller owns; `parent` closes it when it closes itself.
 */
export async function openDedicated(source: Redis, parent: TransportLifecycle, signal?: AbortSignal, node?: TransportNode): Promise<DedicatedTransport> {
  let dedicated: ConnectionTransport | undefined;
  const opened = await parent.track(
    connectTransport(duplicateConnection(source, { lazyConnect: true }), { onClosed: () => dedicated && parent.forget(dedicated), node }, signal),
  );
  dedicated = opened;
  if (parent.closed) {
    await opened.close();
    parent.assertOpen();
  }
  return parent.adopt(opened);
}

export interface ClientOwnership {
  readonly closeClient: boolean;
}

/**
 * The transport over a single-node client. A client configured as the transport needs
 * (`stringNumbers: true`, `replyMapping: 'resp3'` for RESP3, `autoResendUnfulfilledCommands: false`)
 * is used as it is; any other gets a duplicate connection of the transport's own, so the user's
 * client keeps its reply shapes and a command is never sent twice.
 */
export function singleNodeTransport(client: Redis, ownership: ClientOwnership): ConnectionTransport {
  const connection = usableAsIs(client.options) ? client : duplicateConnection(client);
  return new ConnectionTransport(connection, {
    release: async () => {
      await Promise.all([connection !== client ? closeClient(connection) : undefined, ownership.closeClient ? closeClient(client) : undefined]);
    },
  });
}
