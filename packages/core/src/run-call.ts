import {
  FerriteAbortError,
  FerriteConnectionError,
  FerriteTimeoutError,
  isConnectionError,
  isFerriteError,
  isValidationError,
  type FerriteError,
} from './errors.js';
import { scheduleDeadline } from './deadline-queue.js';

/** A call in progress, as its client sees it: closing the client stops it. */
export interface PendingCall {
  /** Settles the call with `error(maybeApplied)` unless it has settled already. */
  stop(error: (maybeApplied: boolean) => FerriteError): void;
}

/**
 * The calls in progress, for `close` to stop. An array with swap-removal by a slot index kept on
 * each entry: adding and removing a call is a few stores (a `Set` churned by every call measured
 * several microseconds a call under load).
 */
export class PendingCalls {
  readonly #calls: Array<PendingCall & { slot: number }> = [];

  add(call: PendingCall & { slot: number }): void {
    call.slot = this.#calls.length;
    this.#calls.push(call);
  }

  delete(call: PendingCall & { slot: number }): void {
    const slot = call.slot;
    if (slot < 0 || this.#calls[slot] !== call) return;
    const last = this.#calls.pop() as PendingCall & { slot: number };
    if (last !== call) {
      this.#calls[slot] = last;
      last.slot = slot;
    }
    call.slot = -1;
  }

  get size(): number {
    return this.#calls.length;
  }

  /** A copy: stopping a call removes it while the caller iterates. */
  snapshot(): PendingCall[] {
    return [...this.#calls];
  }
}

export interface CallRunnerSettings {
  /** Total attempts for a retryable call, the first included. */
  readonly maxAttempts: number;
  /** Calls in progress; the client stops them when it closes. */
  readonly pending: PendingCalls;
  /** Whether the client has closed (new calls are refused, never sent). */
  readonly closed: boolean;
}

export interface CallPlan<T> {
  /** Command name, for error messages. */
  readonly name: string;
  /** Milliseconds for the whole call, every attempt and backoff included; `Infinity` for none. */
  readonly timeout: number;
  readonly signals: readonly AbortSignal[];
  /** Whether a connection failure may be followed by another attempt. */
  readonly retryable: boolean;
  /** One attempt. `signal` fires when the call is no longer awaited, so a transport can drop an unwritten command. */
  readonly attempt: (signal: AbortSignal) => Promise<T>;
}

/**
 * Controllers of calls that ended without aborting, for reuse: a fresh `AbortController` per call
 * was the largest cost core added to a call (its signal is heavy to build and to collect). A
 * controller returns here only unaborted, after its call settled; transports remove their
 * listeners when a command settles, so a reused signal carries none of them.
 */
const spareControllers: AbortController[] = [];
const MAX_SPARE_CONTROLLERS = 256;

function takeController(): AbortController {
  return spareControllers.pop() ?? new AbortController();
}

function returnController(controller: AbortController): void {
  if (!controller.signal.aborted && spareControllers.length < MAX_SPARE_CONTROLLERS) spareControllers.push(controller);
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/** Exponential backoff with jitter, so clients that lost one server do not return in lockstep. */
export function backoffBefore(attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

/** Whether a failed attempt may have reached the server and run. */
export function mayHaveRun(error: unknown): boolean {
  if (isValidationError(error)) return false;
  const flag = (error as { maybeApplied?: unknown } | null)?.maybeApplied;
  return typeof flag === 'boolean' ? flag : true;
}

function abortError(signal: AbortSignal, maybeApplied: boolean): FerriteAbortError {
  return new FerriteAbortError('the operation was aborted', { cause: signal.reason, maybeApplied });
}

function withMaybeApplied(error: unknown, maybeApplied: boolean): unknown {
  if (isConnectionError(error) && error.maybeApplied !== maybeApplied) {
    return new FerriteConnectionError(error.message, { cause: error, maybeApplied });
  }
  return error;
}

/**
 * Runs one call to completion under a deadline, the caller's signals and the client's lifecycle,
 * retrying a retryable call after connection failures with backoff while time remains. Every
 * call settles by its deadline: an attempt still in flight then is abandoned (its late outcome is
 * dropped), and the error says whether the command may have run.
 */
export function runCall<T>(settings: CallRunnerSettings, plan: CallPlan<T>): Promise<T> {
  const aborted = plan.signals.find((signal) => signal.aborted);
  if (aborted) return Promise.reject(abortError(aborted, false));
  if (settings.closed) return Promise.reject(new FerriteConnectionError('the Ferrite client is closed', { maybeApplied: false }));

  return new Promise<T>((resolve, reject) => {
    const controller = takeController();
    const deadlineAt = performance.now() + plan.timeout;
    let attempts = 0;
    let maybeApplied = false;
    let inFlight = false;
    let settled = false;
    let stopping: ((maybeApplied: boolean) => FerriteError) | undefined;
    let cancelDeadline: (() => void) | undefined;
    let backoffTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Immediate | undefined;

    const onAbort = (event: Event): void => stop((applied) => abortError(event.target as AbortSignal, applied));
    const pending: PendingCall & { slot: number } = { stop: (error) => stop(error), slot: -1 };

    function settle(finish: () => void): void {
      if (settled) return;
      settled = true;
      cancelDeadline?.();
      clearTimeout(backoffTimer);
      if (graceTimer) clearImmediate(graceTimer);
      for (const signal of plan.signals) signal.removeEventListener('abort', onAbort);
      settings.pending.delete(pending);
      finish();
      // Reused only once no attempt is in flight (its transport may still hold the signal).
      if (!inFlight) returnController(controller);
    }

    function stop(error: (maybeApplied: boolean) => FerriteError): void {
      if (settled || stopping) return;
      stopping = error;
      controller.abort();
      if (!inFlight) return settle(() => reject(error(maybeApplied)));
      // A transport that can take the command back (not written yet) rejects at once, with
      // maybeApplied false; that arrives within this turn of the event loop. Otherwise it may run.
      graceTimer = setImmediate(() => settle(() => reject(error(true))));
    }

    function attempt(): void {
      attempts++;
      inFlight = true;
      let work: Promise<T>;
      try {
        work = plan.attempt(controller.signal);
      } catch (error) {
        work = Promise.reject(error);
      }
      work.then(
        (value) => {
          inFlight = false;
          settle(() => resolve(value));
        },
        (error: unknown) => {
          inFlight = false;
          if (mayHaveRun(error)) maybeApplied = true;
          if (stopping) {
            const finalError = stopping(maybeApplied);
            return settle(() => reject(finalError));
          }
          if (plan.retryable && isConnectionError(error) && attempts < settings.maxAttempts && !settings.closed) {
            const wait = backoffBefore(attempts);
            if (performance.now() + wait < deadlineAt) {
              backoffTimer = setTimeout(attempt, wait);
              return;
            }
          }
          settle(() => reject(isFerriteError(error) ? withMaybeApplied(error, maybeApplied) : error));
        },
      );
    }

    settings.pending.add(pending);
    for (const signal of plan.signals) signal.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(plan.timeout)) {
      cancelDeadline = scheduleDeadline(plan.timeout, () => stop((applied) => new FerriteTimeoutError(plan.name, plan.timeout, { maybeApplied: applied })));
    }
    attempt();
  });
}
