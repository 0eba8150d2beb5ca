import { FerriteAbortError } from '@ferrite/core';

interface Flight {
  readonly promise: Promise<unknown>;
  readonly controller: AbortController;
  waiters: number;
}

/** What one waiter of a {@link SingleFlight} gets: the shared run's value. */
export interface FlightResult<T> {
  readonly value: T;
  /** Another caller started the work; this one only waited for it. */
  readonly shared: boolean;
}

/**
 * Concurrent calls with the same key share one run of `work`.
 *
 * `work` gets a signal of its own that aborts only when every waiter has given up (each
 * waiter's own signal detaches just that waiter), so one impatient caller never throws away the
 * answer the others wait for. A run that fails, including one that ends aborted, settles every
 * waiter with its error and is forgotten at once: the next call starts afresh.
 */
export class SingleFlight {
  readonly #flights = new Map<string, Flight>();

  get size(): number {
    return this.#flights.size;
  }

  /**
   * Joins the run for `key`, or starts it with `work` when none is in progress. `signal` detaches
   * this waiter alone (it rejects with `FerriteAbortError`); `work`'s own signal aborts once every
   * waiter has given up.
   */
  run<T>(key: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<FlightResult<T>> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let flight = this.#flights.get(key);
    const shared = flight !== undefined;
    if (flight === undefined) flight = this.#start(key, work);
    flight.waiters++;
    return this.#wait(flight, shared, signal) as Promise<FlightResult<T>>;
  }

  #start(key: string, work: (signal: AbortSignal) => Promise<unknown>): Flight {
    const controller = new AbortController();
    const forget = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    // An abandoned run must not be joined by later callers: they would only get its abort error.
    controller.signal.addEventListener('abort', forget, { once: true });
    const promise = Promise.resolve()
      .then(() => work(controller.signal))
      .finally(forget);
    // Nobody may be left waiting on an abandoned run; its rejection is expected.
    promise.catch(() => undefined);
    const flight: Flight = { promise, controller, waiters: 0 };
    this.#flights.set(key, flight);
    return flight;
  }

  #wait(flight: Flight, shared: boolean, signal: AbortSignal | undefined): Promise<FlightResult<unknown>> {
    const settled = flight.promise.then((value) => ({ value, shared }));
    if (signal === undefined) return settled;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (--flight.waiters === 0) flight.controller.abort(signal.reason);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      settled.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

export function abortError(signal: AbortSignal): FerriteAbortError {
  return new FerriteAbortError('the operation was aborted', { cause: signal.reason });
}
