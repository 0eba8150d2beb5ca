import { FerriteConnectionError } from './errors.js';

/** Something a transport opened and must close with it (a dedicated connection). */
export interface Closable {
  close(): Promise<void>;
}

/**
 * For transport authors: whether a transport is closed, and the dedicated connections it handed
 * out, which end with it. `close` runs once; every later call returns the same promise.
 */
export class TransportLifecycle {
  #closing: Promise<void> | undefined;
  readonly #dependents = new Set<Closable>();
  readonly #transportName: string;

  /** `transportName` names the transport in the error later calls get (`the ioredis transport is closed`). */
  constructor(transportName: string) {
    this.#transportName = transportName;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  closedError(): FerriteConnectionError {
    return new FerriteConnectionError(`the ${this.#transportName} transport is closed`, { maybeApplied: false });
  }

  /** Throws the closed error once `close` has been called. */
  assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  adopt<T extends Closable>(dependent: T): T {
    this.#dependents.add(dependent);
    return dependent;
  }

  forget(dependent: Closable): void {
    this.#dependents.delete(dependent);
  }

  /** Closes the dependents, then runs `release` (which frees the transport's own connection, if any). */
  close(release: () => Promise<void>): Promise<void> {
    this.#closing ??= (async () => {
      const dependents = [...this.#dependents];
      this.#dependents.clear();
      await Promise.allSettled(dependents.map((dependent) => dependent.close()));
      await release();
    })();
    return this.#closing;
  }
}
