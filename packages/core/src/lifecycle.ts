import { FerriteConnectionError } from './errors.js';

/** Something a transport opened and must close with it (a dedicated connection). */
export interface Closable {
  /** Closes it; called once when its transport closes. */
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

  /** Whether `close` has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The error every call on a closed transport rejects with. */
  closedError(): FerriteConnectionError {
    return new FerriteConnectionError(`the ${this.#transportName} transport is closed`);
  }

  /** Throws the closed error once `close` has been called. */
  assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  /** Registers a dedicated connection so that closing the transport closes it too; returns it. */
  adopt<T extends Closable>(dependent: T): T {
    this.#dependents.add(dependent);
    return dependent;
  }

  /** Stops tracking a dedicated connection its owner closed. */
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
