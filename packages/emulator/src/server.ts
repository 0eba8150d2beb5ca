import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { Emulator } from './engine/emulator.js';
import type { EmulatorOptions } from './engine/emulator.js';
import type { EngineReply } from './engine/reply.js';
import { encodeReply } from './resp/encoder.js';
import { RequestParser } from './resp/parser.js';
import { resetSocket } from './fault-proxy/socket-reset.js';
import { listen } from './listen.js';

/** Options of `startEmulator`: where to listen, plus those of a new `Emulator`. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Serve this emulator (its own options win over the ones above). Default: a new one. */
  readonly emulator?: Emulator;
  /**
   * Most bytes a connection may send of one command before it is complete, as Redis'
   * `client-query-buffer-limit`. Over it the connection gets an error and is closed.
   * Default 1 GiB (Redis' default).
   */
  readonly queryBufferLimit?: number;
}

/** Redis' default `client-query-buffer-limit`. */
export const DEFAULT_QUERY_BUFFER_LIMIT = 1024 * 1024 * 1024;

/** A listening emulator, as `startEmulator` resolves it. */
export interface RunningEmulator {
  /** The port it listens on (the one picked when asked for port 0). */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** `redis://host:port`. */
  readonly url: string;
  /** The engine it serves, for assertions and fake clocks (a new one after {@link restart}). */
  readonly emulator: Emulator;
  /**
   * Stops as a process without persistence would, and starts again on the same port with no data:
   * every connection is closed, and a new engine (new key space, new change log with a new
   * `log_id`, PROTOCOL.md §8.1) is served, built from the options given to `startEmulator`, or
   * `options.emulator` when given (required when `startEmulator` was given an `emulator`).
   * Rejects when the server is closed.
   */
  restart(options?: { readonly emulator?: Emulator }): Promise<void>;
  /** Stops listening, closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** How often the server removes expired keys nobody reads (so CDC sees `EXPIRED` on time). */
const EXPIRY_SWEEP_MS = 100;

/** Serves one socket: parse, run in order (async handlers included), write replies in request order. */
function serveConnection(emulator: Emulator, socket: Socket, queryBufferLimit: number): void {
  socket.setNoDelay(true);
  const address = socket.remoteAddress === undefined ? '' : `${socket.remoteAddress}:${socket.remotePort}`;
  const session = emulator.createSession({ address });
  let parser = new RequestParser();
  const queue: Buffer[][] = [];
  let head = 0;
  let running = false;
  let ended = false;

  const finish = () => {
    if (ended) return;
    ended = true;
    socket.end();
  };
  session.addCloseListener(() => {
    if (!socket.destroyed) socket.destroy();
  });

  const pump = (): void => {
    if (running || ended) return;
    running = true;
    const output: Buffer[] = [];
    const flush = () => {
      if (output.length === 0 || socket.destroyed) return;
      socket.write(output.length === 1 ? (output[0] as Buffer) : Buffer.concat(output));
      output.length = 0;
    };
    while (head < queue.length) {
      const argv = queue[head] as Buffer[];
      queue[head++] = [];
      let reply: EngineReply | Promise<EngineReply>;
      try {
        reply = emulator.execute(session, argv);
      } catch (error) {
        reply = { kind: 'error', message: `ERR internal error: ${String(error)}` };
      }
      if (reply instanceof Promise) {
        flush();
        reply.then(
          (settled) => {
            running = false;
            if (session.closed) return;
            output.push(encodeReply(settled, session.protocol));
            flush();
            afterReply();
          },
          () => {
            running = false;
          },
        );
        return;
      }
      output.push(encodeReply(reply, session.protocol));
      if (session.closeRequested) {
        flush();
        running = false;
        finish();
        return;
      }
    }
    queue.length = 0;
    head = 0;
    flush();
    running = false;
    if (parser.error !== undefined) {
      socket.write(encodeReply({ kind: 'error', message: `ERR ${parser.error.message}` }, session.protocol));
      finish();
    }
  };

  const afterReply = () => {
    if (session.closeRequested) {
      finish();
      return;
    }
    pump();
  };

  socket.on('data', (chunk: Buffer) => {
    if (ended) return;
    try {
      for (const command of parser.feed(chunk)) queue.push(command);
      pump();
      if (parser.buffered > queryBufferLimit && !ended) {
        // A client that keeps sending one command without end would hold memory without bound.
        socket.write(
          encodeReply(
            { kind: 'error', message: `ERR query buffer limit exceeded: more than ${queryBufferLimit} bytes of an unfinished command (client-query-buffer-limit), closing the connection` },
            session.protocol,
          ),
        );
        parser = new RequestParser(); // lets the unfinished command's bytes go
        finish();
      }
    } catch {
      // Whatever went wrong, it concerns this connection only: drop it, keep serving the others.
      socket.destroy();
    }
  });
  socket.on('error', () => {
    // A peer reset is normal; 'close' follows and cleans up.
  });
  socket.on('close', () => {
    ended = true;
    session.close();
  });
}

/** A TCP listener serving one engine; stopping it closes every connection. */
export interface EmulatorListener {
  readonly port: number;
  /**
   * Stops listening and closes every connection: with a FIN, or with a TCP RST when `abrupt`
   * (a process killed with `kill -9`). Idempotent.
   */
  stop(options?: { readonly abrupt?: boolean }): Promise<void>;
}

/** Serves `emulator` on `host:port` (port 0: a free one), sweeping expired keys while it listens. */
export async function serveEmulator(emulator: Emulator, host: string, port: number, queryBufferLimit: number): Promise<EmulatorListener> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(emulator, socket, queryBufferLimit);
  });
  await listen(server, port, host);
  const sweep = setInterval(() => emulator.expireDue(), EXPIRY_SWEEP_MS);
  sweep.unref();
  let stopping: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    stop(stopOptions = {}) {
      stopping ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        for (const socket of sockets) {
          if (stopOptions.abrupt === true) resetSocket(socket);
          else socket.destroy();
        }
      });
      return stopping;
    },
  };
}

/** Starts a RESP2/RESP3 TCP server on loopback (by default) in front of an emulator. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  let emulator = options.emulator ?? new Emulator(options);
  const queryBufferLimit = options.queryBufferLimit ?? DEFAULT_QUERY_BUFFER_LIMIT;
  if (!(Number.isSafeInteger(queryBufferLimit) && queryBufferLimit > 0)) {
    throw new RangeError(`queryBufferLimit must be a positive integer, got ${queryBufferLimit}`);
  }
  const host = options.host ?? '127.0.0.1';
  let listener = await serveEmulator(emulator, host, options.port ?? 0, queryBufferLimit);
  const port = listener.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  let restarting: Promise<void> = Promise.resolve();
  return {
    port,
    host,
    url: `redis://${urlHost}:${port}`,
    get emulator() {
      return emulator;
    },
    restart(restartOptions = {}) {
      if (options.emulator !== undefined && restartOptions.emulator === undefined) {
        return Promise.reject(new TypeError('restart() needs { emulator } when startEmulator was given an emulator: it cannot build one like it'));
      }
      const run = restarting.then(async () => {
        if (closing !== undefined) throw new Error('the emulator is closed');
        await listener.stop();
        emulator = restartOptions.emulator ?? new Emulator(options);
        listener = await serveEmulator(emulator, host, port, queryBufferLimit);
      });
      restarting = run.catch(() => undefined);
      return run;
    },
    close() {
      closing ??= restarting.then(() => listener.stop());
      return closing;
    },
  };
}
