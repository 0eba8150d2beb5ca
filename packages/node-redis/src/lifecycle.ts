/** Something the transport opened and must close with it. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Whether a transport is closed, and the dedicated connections it opened. Closing is idempotent:
 * every call returns the same promise.
 */
export class Lifecycle {
  #closing: Promise<void> | undefined;
  readonly #children = new Set<Closable>();

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  adopt(child: Closable): void {
    this.#children.add(child);
  }

  release(child: Closable): void {
    this.#children.delete(child);
  }

  /** Closes the children, then runs `release` (which frees the transport's own connection, if any). */
  close(release: () => Promise<void>): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#children].map((child) => child.close()));
      this.#children.clear();
      await release();
    })();
    return this.#closing;
  }
}
