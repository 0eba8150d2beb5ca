import { TransportLifecycle, type BatchEntry, type DedicatedOptions, type DedicatedTransport, type ProtocolVersion, type Reply, type TransportServer, type WireCommand } from '@ferrite/core';
import type { Redis } from 'ioredis';
import { closeClient, duplicateConnection, whenReady } from './connection.js';
import { decodesForTransport, protocolOf } from './options.js';
import { translateError } from './errors.js';
import { execute, executeBatch } from './execute.js';

export interface ConnectionTransportSettings {
  readonly commandTimeout: number | undefined;
  /** Releases what this transport holds (its own connection; the user's client when asked). */
  readonly release: () => Promise<void>;
  /** Called once this transport has closed (a parent forgets its dedicated connection). */
  readonly onClosed?: () => void;
}

/** A transport over one ioredis connection: the main one of a single-node client, or a dedicated one. */
export class ConnectionTransport implements DedicatedTransport {
  readonly name = 'ioredis';
  readonly #connection: Redis;
  readonly #settings: ConnectionTransportSettings;
  readonly #lifecycle = new TransportLifecycle('ioredis');

  constructor(connection: Redis, settings: ConnectionTransportSettings) {
    this.#connection = connection;
    this.#settings = settings;
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

  send(command: WireCommand): Promise<Reply> {
    return this.#whenOpen(() => execute(this.#connection, command, this.#settings.commandTimeout));
  }

  batch(commands: readonly WireCommand[]): Promise<BatchEntry[]> {
    return this.#whenOpen(() => executeBatch(this.#connection, commands, this.#settings.commandTimeout));
  }

  dedicated(_options?: DedicatedOptions): Promise<DedicatedTransport> {
    return this.#whenOpen(() => openDedicated(this.#connection, this.#lifecycle, this.#settings.commandTimeout));
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

  async #whenOpen<T>(work: () => Promise<T>): Promise<T> {
    this.#lifecycle.assertOpen();
    return work();
  }
}

/**
 * A new connection duplicated from `source` (same node, options and database), wrapped in a
 * transport the caller owns; `parent` closes it when it closes itself.
 */
export async function openDedicated(source: Redis, parent: TransportLifecycle, commandTimeout: number | undefined): Promise<DedicatedTransport> {
  const connection = duplicateConnection(source, { lazyConnect: true });
  try {
    await whenReady(connection);
  } catch (error) {
    connection.disconnect();
    throw translateError(error, 'CONNECT', undefined);
  }
  if (parent.closed) {
    await closeClient(connection);
    parent.assertOpen();
  }
  const dedicated: ConnectionTransport = new ConnectionTransport(connection, {
    commandTimeout,
    release: () => closeClient(connection),
    onClosed: () => parent.forget(dedicated),
  });
  return parent.adopt(dedicated);
}

export interface ClientOwnership {
  readonly closeClient: boolean;
  readonly commandTimeout: number | undefined;
}

/**
 * The transport over a single-node client. A client configured as the transport needs
 * (`stringNumbers: true`, and `replyMapping: 'resp3'` for RESP3) is used as it is; any other gets
 * a duplicate connection of the transport's own, so the user's client keeps its reply shapes.
 */
export function singleNodeTransport(client: Redis, ownership: ClientOwnership): ConnectionTransport {
  const connection = decodesForTransport(client.options) ? client : duplicateConnection(client);
  return new ConnectionTransport(connection, {
    commandTimeout: ownership.commandTimeout,
    release: async () => {
      if (connection !== client) await closeClient(connection);
      if (ownership.closeClient) await closeClient(client);
    },
  });
}
