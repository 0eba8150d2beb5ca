import type { Transport } from '@ferrite/core';
import { Emulator, type EmulatorOptions } from './engine/emulator.js';
import { memoryTransportTo } from './memory-transport.js';

/** How often the server removes expired keys nobody reads (so CDC sees `EXPIRED` on time). */
const EXPIRY_SWEEP_MS = 100;

/** Options of `memoryServer`. */
export interface MemoryServerOptions extends EmulatorOptions {
  /** Serve this emulator (its own options win over the ones above). Default: a new one. */
  readonly emulator?: Emulator;
}

/**
 * An emulator served in process, as `startEmulator` serves one over TCP: transports connect to it
 * without a socket, and it can be restarted like a server without persistence.
 */
export interface MemoryServer {
  /** The engine it serves, for assertions and fake clocks (a new one after {@link restart}). */
  readonly emulator: Emulator;
  /**
   * A transport connected to this server (protocol 3 by default). After a restart its next
   * command runs on a new connection to the new engine, as a driver reconnects; its `dedicated()`
   * connections end with the restart.
   */
  transport(options?: { readonly protocol?: 2 | 3 }): Transport;
  /**
   * Stops as a process without persistence would and starts again with no data: every connection
   * is closed (a blocked `CDC.POLL` or a command running fails with a connection error) and a new
   * engine (new key space, new change log with a new `log_id`, PROTOCOL.md §8.1) is served, built
   * from the options given to `memoryServer`, or `options.emulator` when given (required when
   * `memoryServer` was given an `emulator`). Rejects when the server is closed.
   */
  restart(options?: { readonly emulator?: Emulator }): Promise<void>;
  /** Closes every connection and stops serving. Idempotent. */
  close(): Promise<void>;
}

/** Serves an emulator in process: the in-process counterpart of `startEmulator`, restart included. */
export function memoryServer(options: MemoryServerOptions = {}): MemoryServer {
  const served = { emulator: options.emulator ?? new Emulator(options) };
  let closed = false;
  const sweep = setInterval(() => served.emulator.expireDue(), EXPIRY_SWEEP_MS);
  sweep.unref();
  const closeConnections = (): void => {
    for (const session of served.emulator.openSessions()) served.emulator.closeSession(session);
  };
  return {
    get emulator() {
      return served.emulator;
    },
    transport(transportOptions = {}) {
      if (closed) throw new Error('the memory server is closed');
      return memoryTransportTo(served, transportOptions.protocol ?? 3);
    },
    async restart(restartOptions = {}) {
      if (closed) throw new Error('the memory server is closed');
      if (options.emulator !== undefined && restartOptions.emulator === undefined) {
        throw new TypeError('restart() needs { emulator } when memoryServer was given an emulator: it cannot build one like it');
      }
      // The new engine is in place before the connections close, so that a transport reconnecting
      // at once reaches it, as a client reconnecting to a restarted server does.
      const old = served.emulator;
      served.emulator = restartOptions.emulator ?? new Emulator(options);
      for (const session of old.openSessions()) old.closeSession(session);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      closeConnections();
    },
  };
}
