/**
 * Stores that run after their caller already has its answer. They are kept here so that the
 * client's `close()` can wait for them: a store started just before closing still lands.
 */
export class BackgroundStores {
  readonly #pending = new Set<Promise<void>>();

  /** How many stores have not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** Runs `store` without making anyone wait; its failure goes to `onFailure`, never to a caller. */
  start(store: () => Promise<void>, onFailure: (error: unknown) => void): void {
    // Started synchronously, so the store is on the wire before anything its caller sends next.
    const running: Promise<void> = new Promise<void>((resolve) => resolve(store()))
      .catch((error: unknown) => {
        try {
          onFailure(error);
        } catch {
          // A reporting hook that throws must not turn into an unhandled rejection.
        }
      })
      .finally(() => this.#pending.delete(running));
    this.#pending.add(running);
  }

  /** Resolves once every store started before this call has settled (stores started later are not waited for). */
  async settled(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
