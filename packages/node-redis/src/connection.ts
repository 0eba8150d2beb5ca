import type { ProtocolVersion } from '@ferrite/core';
import type { TypeMapping } from 'redis';

/** node-redis' deadline for commands not yet written, when the client was given none. */
const DRIVER_DEFAULT_TIMEOUT_MS = 5000;

export interface SendOptions {
  readonly typeMapping: TypeMapping;
  /** Takes the command back while node-redis has not written it (it then rejects with `AbortError`). */
  readonly abortSignal?: AbortSignal;
  /**
   * node-redis' deadline for a command it has not written yet; `undefined` overrides the client's
   * `commandOptions.timeout` and sets none.
   */
  readonly timeout?: number | undefined;
}

/**
 * What the transport uses of one node-redis connection: a `createClient()` client, a connection
 * it duplicated from one, or a cluster's client for one node.
 */
export interface NodeConnection {
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: SendOptions): Promise<unknown>;
  /** A view of the client whose commands merge these options into the client's own. */
  withCommandOptions(options: Partial<SendOptions>): NodeConnection;
  duplicate(): NodeConnection;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** A socket is open (node-redis then says hello on it); again at each reconnect. */
  on(event: 'connect', listener: () => void): unknown;
  readonly isOpen: boolean;
  /** Connected and past the handshake: commands are written at once. */
  readonly isReady?: boolean;
  readonly options?: {
    readonly RESP?: ProtocolVersion;
    readonly commandOptions?: { readonly timeout?: number };
    readonly url?: string;
    readonly socket?: { readonly host?: string; readonly port?: number; readonly path?: string };
    readonly database?: number;
  };
}

/** Where a client connects, as node-redis resolves it: `socket` over `url`, then localhost:6379. */
export function addressOf(options: NodeConnection['options']): { host: string; port: number } {
  let host = 'localhost';
  let port = 6379;
  if (options?.url) {
    const url = new URL(options.url);
    if (url.hostname) host = url.hostname;
    if (url.port) port = Number(url.port);
  }
  return { host: options?.socket?.host ?? host, port: options?.socket?.port ?? port };
}

/** The protocol the connection speaks: node-redis sends `HELLO 3` unless told `RESP: 2`. */
export function protocolOf(options: { readonly RESP?: ProtocolVersion } | undefined): ProtocolVersion {
  return options?.RESP === 2 ? 2 : 3;
}

/** The driver's own deadline for a command it has not written yet. */
export function driverTimeoutOf(options: NodeConnection['options']): number {
  return options?.commandOptions?.timeout ?? DRIVER_DEFAULT_TIMEOUT_MS;
}
