import { FerriteConnectionError } from './errors.js';
import type { AnyPlugin } from './plugin.js';
import { PendingCalls, type CallRunnerSettings } from './run-call.js';
import type { Transport } from './transport.js';
import { within } from './within.js';

/** How long plugin cleanups may take before the transport is closed anyway. */
const CLEANUP_BUDGET_MS = 500;
/** `close()` settles within this, whatever the server does. */
const CLOSE_BUDGET_MS = 900;


/**
 * What a client, its views and the clients `extend()` made from it share: the transport, each
 * plugin's shared state (its `state`, made once), the capability cache, the calls in progress,
 * and one lifecycle.
 */
export class ClientFamily implements CallRunnerSettings {
  readonly transport: Transport;
  readonly timeout: number;
  readonly maxAttempts: number;
  readonly capabilities = new Map<string, Promise<boolean>>();
  readonly states = new Map<AnyPlugin, unknown>();
  readonly pending = new PendingCalls();
  readonly #cleanups: Array<() => void | Promise<void>> = [];
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(transport: Transport, timeout: number, maxAttempts: number) {
    this.transport = transport;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(cleanup: () => void | Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /**
   * Runs every cleanup once (newest first; they may still send commands), then closes the
   * transport, then rejects whatever is still pending. Bounded: settles within a second even
   * when a cleanup or the transport hangs on a server that stopped answering.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const started = performance.now();
      const failures: unknown[] = [];
      const cleanups = this.#cleanups.splice(0).reverse();
      // A cleanup that throws synchronously must not stop the others or the transport's close.
      await within(
        Promise.all(cleanups.map((cleanup) => Promise.resolve().then(cleanup).catch((error: unknown) => void failures.push(error)))),
        CLEANUP_BUDGET_MS,
      );
      this.#closed = true;
      const closing = this.transport.close().catch((error: unknown) => void failures.push(error));
      await within(closing, CLOSE_BUDGET_MS - (performance.now() - started));
      for (const call of this.pending.snapshot()) {
        call.stop((maybeApplied) => new FerriteConnectionError('the Ferrite client was closed before the reply arrived', { maybeApplied }));
      }
      if (failures.length > 0) throw failures[0];
    })();
    return this.#closing;
  }
}
