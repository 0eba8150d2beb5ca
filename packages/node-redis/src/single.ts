import {
  FerriteConnectionError,
  TransportLifecycle,
  withDeadline,
  type BatchEntry,
  type DedicatedTransport,
  type ProtocolVersion,
  type Reply,
  type TransportServer,
  type WireCommand,
} from '@ferrite/core';
import type { NodeConnection } from './connection.js';
import { execute, executeBatch } from './execute.js';

export interface ConnectionSettings {
  readonly protocol: ProtocolVersion;
  readonly commandTimeout: number | undefined;
}

/**
 * A transport over one node-redis connection: the user's client, or a dedicated connection the
 * transport duplicated. `release` frees the connection on close (a no-op for a client the user
 * keeps).
 */
export class SingleConnectionTransport implements DedicatedTransport {
  readonly name = 'node-redis';
  readonly protocol: ProtocolVersion;
  readonly #connection: NodeConnection;
  readonly #settings: ConnectionSettings;
  readonly #release: () => Promise<void>;
  readonly #lifecycle = new TransportLifecycle('node-redis');

  constructor(connection: NodeConnection, settings: ConnectionSettings, release: () => Promise<void>) {
    this.#connection = connection;
    this.#settings = settings;
    this.#release = release;
    this.protocol = settings.protocol;
  }

  /** The connection's address as node-redis resolved its options (its defaults: `localhost:6379`). */
  get server(): TransportServer {
    const options = this.#connection.options;
    const database = options?.database ?? 0;
    if (options?.socket?.path) return { address: options.socket.path, database };
    return { address: options?.socket?.host ?? 'localhost', port: options?.socket?.port ?? 6379, database };
  }

  send(command: WireCommand): Promise<Reply> {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    return execute(this.#connection, command, this.#settings.commandTimeout);
  }

  batch(commands: readonly WireCommand[]): Promise<BatchEntry[]> {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    return executeBatch(this.#connection, commands, this.#settings.commandTimeout);
  }

  dedicated(): Promise<DedicatedTransport> {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    return openDedicated(this.#connection, this.#lifecycle, this.#settings);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(this.#release);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens a new connection with `source`'s options (address, auth, TLS, database, protocol) for a
 * caller that owns it; `parent` closes it too when it closes first. Closing it abandons commands
 * still pending on it (a blocking call does not hold the close up).
 */
export async function openDedicated(source: NodeConnection, parent: TransportLifecycle, settings: ConnectionSettings): Promise<DedicatedTransport> {
  // Duplicating only needs the options, but a closed client means the user is done with it.
  if (!source.isOpen) throw new FerriteConnectionError('node-redis: the client is closed or not connected');
  const connection = source.duplicate();
  // Failures reach callers through their commands; an 'error' event without a listener would
  // throw from the driver's event emitter instead.
  connection.on('error', () => {});
  try {
    // node-redis keeps retrying an unreachable server; the transport's deadline bounds the wait.
    await withDeadline(connection.connect(), 'CONNECT', settings.commandTimeout);
  } catch (error) {
    connection.destroy();
    throw new FerriteConnectionError(`node-redis: could not open a dedicated connection: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parent.closed) {
    connection.destroy();
    throw parent.closedError();
  }
  const transport: SingleConnectionTransport = new SingleConnectionTransport(connection, settings, async () => {
    parent.forget(transport);
    if (connection.isOpen) connection.destroy();
  });
  parent.adopt(transport);
  return transport;
}
