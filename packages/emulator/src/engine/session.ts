import type { SessionView } from './command.js';

/** A queued command of a MULTI block: the raw arguments, run by EXEC. */
export type QueuedCommand = readonly Buffer[];

/**
 * Per-connection state: selected database, protocol, authentication, name, the MULTI queue and
 * the extensions' per-connection state. Closing it runs the cleanups and aborts `signal`.
 */
export class Session implements SessionView {
  readonly id: number;
  protocol: 2 | 3;
  selectedDb = 0;
  authenticated: boolean;
  name = '';
  libraryName = '';
  libraryVersion = '';
  readonly createdAt: number;
  lastCommand = 'NULL';
  /** Remote address for CLIENT LIST (`addr=`); the memory transport has none. */
  readonly address: string;
  /** Set while inside MULTI. */
  transaction: { queue: QueuedCommand[]; aborted: boolean } | undefined;
  /** Set by QUIT or CLIENT KILL: the connection closes once the current reply is written. */
  closeRequested = false;
  private readonly extensions = new Map<string, unknown>();
  private readonly cleanups: Array<() => void> = [];
  private readonly controller = new AbortController();
  private readonly closeListeners = new Set<() => void>();

  constructor(options: { id: number; protocol: 2 | 3; authenticated: boolean; createdAt: number; address?: string }) {
    this.id = options.id;
    this.protocol = options.protocol;
    this.authenticated = options.authenticated;
    this.createdAt = options.createdAt;
    this.address = options.address ?? '';
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  extension<T>(name: string, create: () => T): T {
    if (!this.extensions.has(name)) this.extensions.set(name, create());
    return this.extensions.get(name) as T;
  }

  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** The transport listens here so that CLIENT KILL can close the connection. */
  addCloseListener(listener: () => void): void {
    this.closeListeners.add(listener);
  }

  /** Drops per-connection state as RESET does (keeps id and the connection). */
  reset(authenticated: boolean): void {
    this.protocol = 2;
    this.selectedDb = 0;
    this.authenticated = authenticated;
    this.name = '';
    this.transaction = undefined;
  }

  /** Idempotent. Runs every cleanup even when one throws. */
  close(): void {
    if (this.closed) return;
    this.controller.abort();
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // One extension's failing cleanup must not keep the others from running.
      }
    }
    for (const listener of this.closeListeners) listener();
    this.closeListeners.clear();
  }
}
