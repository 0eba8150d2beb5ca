import { FerriteConnectionError, type BatchEntry, type DedicatedOptions, type DedicatedTransport, type ProtocolVersion, type Reply, type TransportNode, type TransportServer, type TransportSendOptions, type WireCommand } from '@ferrite/core';
import { messageOf, SingleNode, TransportLifecycle } from '@ferrite/core/transport';
import { addressOf, type NodeConnection } from './connection.js';
import { executeBatch, executeOn, NodeRedisSender } from './execute.js';

export interface ConnectionSettings {
  readonly protocol: ProtocolVersion;
  /** The node as `nodes()` names it (a cluster node's id); default `host:port` of the client. */
  readonly node?: TransportNode;
}

/** How long a graceful close (pending replies arrive first) may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 200;

/**
 * Closes a node-redis client within a bounded time whatever the server does: `close()` lets
 * pending replies arrive, and a server that stopped answering gets `destroy()` instead.
 */
export async function closeConnection(connection: { close(): Promise<void>; destroy(): void; readonly isOpen: boolean }): Promise<void> {
  if (!connection.isOpen) return;
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    connection.close().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS))),
  ]);
  clearTimeout(timer);
  if (!graceful) connection.destroy();
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
  readonly #sender: NodeRedisSender;
  readonly #release: () => Promise<void>;
  readonly #lifecycle = new TransportLifecycle('node-redis');
  readonly #node: SingleNode;

  constructor(connection: NodeConnection, settings: ConnectionSettings, release: () => Promise<void>) {
    this.#connection = connection;
    this.#sender = new NodeRedisSender(connection);
    this.#release = release;
    this.protocol = settings.protocol;
    const node = settings.node ?? { ...addressOf(connection.options), id: undefined };
    this.#node = new SingleNode(node.host, node.port, node.id);
  }

  nodes(): Promise<readonly TransportNode[]> {
    return this.#node.nodes();
  }

  /** Rejects calls made after close, or for another node. */
  #refusal(node: string | undefined): Promise<never> | undefined {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    try {
      this.#node.assert(node);
    } catch (error) {
      return Promise.reject(error);
    }
    return undefined;
  }

  /** The connection's address as node-redis resolved its options (its defaults: `localhost:6379`). */
  get server(): TransportServer {
    const options = this.#connection.options;
    const database = options?.database ?? 0;
    if (options?.socket?.path) return { address: options.socket.path, database };
    return { address: options?.socket?.host ?? 'localhost', port: options?.socket?.port ?? 6379, database };
  }

  send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    const refused = this.#refusal(options?.node);
    if (refused) return refused;
    return executeOn(this.#sender, command, { lifecycle: this.#lifecycle, options });
  }

  batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    const refused = this.#refusal(options?.node);
    if (refused) return refused;
    return executeBatch(this.#sender, commands, { lifecycle: this.#lifecycle, options });
  }

  dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    const refused = this.#refusal(options?.node);
    if (refused) return refused;
    return openDedicated(this.#connection, this.#lifecycle, { protocol: this.protocol, node: this.#node.node }, options?.signal);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(this.#release);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connects `connection` (not connected yet) and wraps it in a transport its caller owns; closing
 * it abandons commands still pending on it (a blocking call does not hold the close up).
 * node-redis keeps retrying an unreachable server: `signal` (core's deadline) ends the attempt.
 */
export async function connectTransport(
  connection: NodeConnection,
  settings: ConnectionSettings & { readonly onClosed?: () => void },
  signal?: AbortSignal,
): Promise<SingleConnectionTransport> {
  // Failures reach callers through their commands; an 'error' event without a listener would
  // throw from the driver's event emitter instead.
  connection.on('error', () => {});
  const giveUp = (): void => endSocket(connection);
  signal?.addEventListener('abort', giveUp, { once: true });
  try {
    if (signal?.aborted) throw new Error('the caller stopped waiting');
    await connection.connect();
    // Given up while connecting: node-redis may still have finished opening the socket.
    if (signal?.aborted) throw new Error('the caller stopped waiting');
  } catch (error) {
    endSocket(connection);
    throw new FerriteConnectionError(`node-redis: could not open a connection: ${messageOf(error)}`, { maybeApplied: false });
  } finally {
    signal?.removeEventListener('abort', giveUp);
  }
  return new SingleConnectionTransport(connection, settings, async () => {
    settings.onClosed?.();
    endSocket(connection);
  });
}

/**
 * Ends a connection's socket whatever state the client says it is in: a `destroy()` that lands
 * while node-redis awaits its socket leaves the client not open, yet the socket it then opens
 * stays up (keeping the process alive) until `destroy()` is called again. That socket may come
 * later too: node-redis reconnects on its own when the server drops the connection, so one
 * opening as this runs (or its retry) is ended as it connects.
 */
function endSocket(connection: NodeConnection): void {
  destroyQuietly(connection);
  connection.on('connect', () => destroyQuietly(connection));
}

/** Some node-redis versions throw from `destroy()` on a client already closed; nothing is left to end then. */
function destroyQuietly(connection: NodeConnection): void {
  try {
    connection.destroy();
  } catch {
    // already closed
  }
}

/**
 * Opens a new connection with `source`'s options (address, auth, TLS, database, protocol) for a
 * caller that owns it; `parent` closes it too when it closes first.
 */
export async function openDedicated(
  source: NodeConnection,
  parent: TransportLifecycle,
  settings: ConnectionSettings,
  signal?: AbortSignal,
): Promise<DedicatedTransport> {
  // Duplicating only needs the options, but a closed client means the user is done with it.
  if (!source.isOpen) throw new FerriteConnectionError('node-redis: the client is closed or not connected', { maybeApplied: false });
  let opened: SingleConnectionTransport | undefined;
  const connecting = connectTransport(source.duplicate(), { ...settings, onClosed: () => opened && parent.forget(opened) }, signal);
  let transport: SingleConnectionTransport;
  try {
    transport = await parent.track(connecting);
  } catch (error) {
    // The parent closed while this connection was still connecting: no one will get it, so it
    // closes as soon as it is open rather than keep the process alive.
    void connecting.then(
      (late) => late.close(),
      () => {},
    );
    throw error;
  }
  opened = transport;
  if (parent.closed) {
    await transport.close();
    throw parent.closedError();
  }
  return parent.adopt(transport);
}
