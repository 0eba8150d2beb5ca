import { FerriteConnectionError } from '../errors.js';
import { SlotSet, type Slotted } from '../slot-set.js';
import { within } from '../within.js';

/** What {@link TransportLifecycle.watch} returns (opaque): pass it to `unwatch` once the call settled. */
export interface WatchHandle {
  readonly slot: number;
}

/** Something a transport opened and must close with it (a dedicated connection). */
export interface Closable {
  /** Closes it; called once when its transport closes. */
  close(): Promise<void>;
}

const NEVER_WITHDRAWN = (): boolean => false;

/** How long `close` waits for dependents and the release before settling anyway. */
const RELEASE_BUDGET_MS = 800;

interface Tracked extends Slotted {
  /** Takes the command back if the driver has not written it yet; returns whether it did. */
  readonly withdraw: () => boolean;
  /** Settles the call with this error: the transport closed first. */
  readonly reject: (error: FerriteConnectionError) => void;
}

class TrackedCall implements Tracked {
  slot = -1;
  readonly withdraw: () => boolean;
  readonly reject: (error: FerriteConnectionError) => void;

  constructor(reject: (error: FerriteConnectionError) => void, withdraw: () => boolean) {
    this.reject = reject;
    this.withdraw = withdraw;
  }
}


/**
 * For transport authors: whether a transport is closed, the dedicated connections it handed
 * out (which end with it), and the calls in progress (which `close` settles). `close` runs once;
 * every later call returns the same promise, and it settles within a second.
 */
export class TransportLifecycle {
  #closing: Promise<void> | undefined;
  readonly #dependents = new Set<Closable>();
  readonly #pending = new SlotSet<Tracked>();
  readonly #transportName: string;

  /** `transportName` names the transport in the error later calls get (`the ioredis transport is closed`). */
  constructor(transportName: string) {
    this.#transportName = transportName;
  }

  /** Whether `close` has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** For calls made after `close`: never sent, so `maybeApplied` is false. */
  closedError(): FerriteConnectionError {
    return new FerriteConnectionError(`the ${this.#transportName} transport is closed`, { maybeApplied: false });
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

  /**
   * For a transport that settles its calls itself: `reject` runs if the transport closes first,
   * after `withdraw` (which takes an unwritten command back and returns whether it did: the call
   * then rejects with `maybeApplied` false before the connection is released; the others get
   * until the release is done, then reject with `maybeApplied` true). Returns a handle for
   * {@link unwatch}, to call once the call settled. Throws the closed error after `close`.
   */
  watch(reject: (error: FerriteConnectionError) => void, withdraw: () => boolean = NEVER_WITHDRAWN): WatchHandle {
    this.assertOpen();
    const tracked = new TrackedCall(reject, withdraw);
    this.#pending.add(tracked);
    return tracked;
  }

  /** Stops watching a call that settled. */
  unwatch(handle: WatchHandle): void {
    this.#pending.delete(handle as TrackedCall);
  }

  /** {@link watch} for a promise the driver settles: the promise's own outcome, unless the transport closes first. */
  track<T>(work: Promise<T>, withdraw: () => boolean = NEVER_WITHDRAWN): Promise<T> {
    if (this.closed) {
      work.catch(() => {});
      return Promise.reject(this.closedError());
    }
    return new Promise<T>((resolve, reject) => {
      const tracked = new TrackedCall(reject, withdraw);
      this.#pending.add(tracked);
      work.then(
        (value) => {
          this.#pending.delete(tracked);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(tracked);
          reject(error);
        },
      );
    });
  }

  /**
   * Withdraws unsent calls, closes the dependents and runs `release` (which frees the transport's
   * own connection, if any; it should end sockets that do not close by themselves), then rejects
   * the calls still pending. Settles within a second even when `release` hangs.
   */
  close(release: () => Promise<void>): Promise<void> {
    this.#closing ??= (async () => {
      for (const entry of this.#pending.snapshot()) {
        if (entry.withdraw()) {
          this.#pending.delete(entry);
          entry.reject(new FerriteConnectionError(`the ${this.#transportName} transport closed before the command was sent`, { maybeApplied: false }));
        }
      }
      const dependents = [...this.#dependents];
      this.#dependents.clear();
      let failure: { error: unknown } | undefined;
      const releasing = (async () => {
        await Promise.allSettled(dependents.map((dependent) => dependent.close()));
        await release();
      })().catch((error: unknown) => void (failure = { error }));
      await within(releasing, RELEASE_BUDGET_MS);
      const error = new FerriteConnectionError(`the ${this.#transportName} transport closed before the reply arrived`);
      for (const entry of this.#pending.snapshot()) {
        this.#pending.delete(entry);
        entry.reject(error);
      }
      if (failure) throw failure.error;
    })();
    return this.#closing;
  }
}
