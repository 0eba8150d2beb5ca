import { closedError } from './errors.js';

interface Closable {
  close(): Promise<void>;
}

/**
 * Open/closed state of a transport and the dedicated connections it handed out, which end with
 * it. `close` runs once; later calls wait for the same outcome.
 */
export class Lifecycle {
  #closing: Promise<void> | undefined;
  readonly #dependents = new Set<Closable>();

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  adopt<T extends Closable>(dependent: T): T {
    this.#dependents.add(dependent);
    return dependent;
  }

  forget(dependent: Closable): void {
    this.#dependents.delete(dependent);
  }

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
