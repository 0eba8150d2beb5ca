import {
  FerriteAbortError,
  FerriteConnectionError,
  FerriteTimeoutError,
  isConnectionError,
  isFerriteError,
  isValidationError,
  type FerriteError,
} from './errors.js';
import { cancelDeadline, scheduleDeadline, type Deadline, type Expirable } from './deadline-queue.js';
import { SlotSet, type Slotted } from './slot-set.js';
import { backoffDelay } from './backoff.js';

/** A call in progress, as its client sees it: closing the client stops it. */
export interface PendingCall {
  /** Settles the call with `error(maybeApplied)` unless it has settled already. */
  stop(error: (maybeApplied: boolean) => FerriteError): void;
}

/** The calls in progress, for `close` to stop. */
export class PendingCalls extends SlotSet<PendingCall & Slotted> {}

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
  /**
   * One attempt. `options.signal` fires when the call is no longer awaited, so a transport can
   * drop an unwritten command; `options` may be handed to the transport as it is.
   */
  attempt(options: AttemptOptions): Promise<T>;
  /** What an attempt's rejection becomes before the retry policy reads it (a Ferrite error). */
  translate?(error: unknown): unknown;
}

/** What an attempt gets: the call's signal, in an object a transport's `send` takes as is. */
export interface AttemptOptions {
  readonly signal: AbortSignal;
}

/**
 * The signal of one call, made on first read: most transports read it only when they can still
 * take a command back (queued while reconnecting), and an `AbortController` per call was the
 * largest cost core added to a call. It belongs to this call alone: it fires at most once, when
 * this call stops waiting, and never for a call that ended.
 */
class CallSignal implements AttemptOptions {
  #controller: AbortController | undefined;
  #aborted = false;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
  }
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/** The wait before attempt `attempt + 1`, after `attempt` attempts failed. */
export function backoffBefore(attempt: number): number {
  return backoffDelay(attempt - 1, FIRST_BACKOFF_MS, MAX_BACKOFF_MS);
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
  for (const signal of plan.signals) if (signal.aborted) return Promise.reject(abortError(signal, false));
  if (settings.closed) return Promise.reject(new FerriteConnectionError('the Ferrite client is closed', { maybeApplied: false }));
  return new Promise<T>((resolve, reject) => new Call(settings, plan, resolve, reject).start());
}

/**
 * One call in progress. A class rather than closures: this runs for every command, and one object
 * with its methods on the prototype is the cheapest shape for it.
 */
class Call<T> implements PendingCall, Slotted, Expirable {
  slot = -1;
  readonly #settings: CallRunnerSettings;
  readonly #plan: CallPlan<T>;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal = new CallSignal();
  #attempts = 0;
  #maybeApplied = false;
  #inFlight = false;
  #settled = false;
  #stopping: ((maybeApplied: boolean) => FerriteError) | undefined;
  #deadline: Deadline | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Immediate | undefined;
  #onAbort: ((event: Event) => void) | undefined;

  constructor(settings: CallRunnerSettings, plan: CallPlan<T>, resolve: (value: T) => void, reject: (error: unknown) => void) {
    this.#settings = settings;
    this.#plan = plan;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(): void {
    const plan = this.#plan;
    // The command goes out first: the bookkeeping below then overlaps the round trip instead of
    // delaying the write (its outcome arrives in a later job, after all of this).
    this.#attempt();
    this.#settings.pending.add(this);
    if (plan.signals.length > 0) {
      this.#onAbort = (event: Event): void => this.stop((applied) => abortError(event.target as AbortSignal, applied));
      for (const signal of plan.signals) signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (Number.isFinite(plan.timeout)) this.#deadline = scheduleDeadline(plan.timeout, this);
  }

  /** The deadline passed. */
  expire(): void {
    const { name, timeout } = this.#plan;
    this.stop((applied) => new FerriteTimeoutError(name, timeout, { maybeApplied: applied }));
  }

  /** Settles the call with `error(maybeApplied)` unless it has settled already. */
  stop(error: (maybeApplied: boolean) => FerriteError): void {
    if (this.#settled || this.#stopping) return;
    this.#stopping = error;
    this.#signal.abort();
    if (!this.#inFlight) {
      this.#fail(error(this.#maybeApplied));
      return;
    }
    // A transport that can take the command back (not written yet) rejects at once, with
    // maybeApplied false; that arrives within this turn of the event loop. Otherwise it may run.
    this.#graceTimer = setImmediate(() => this.#fail(error(true)));
  }

  #attempt(): void {
    this.#attempts++;
    this.#inFlight = true;
    let work: Promise<T>;
    try {
      work = this.#plan.attempt(this.#signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      (value) => this.#succeeded(value),
      (error: unknown) => this.#failed(error),
    );
  }

  #succeeded(value: T): void {
    this.#inFlight = false;
    if (this.#finish()) this.#resolve(value);
  }

  #failed(thrown: unknown): void {
    this.#inFlight = false;
    const plan = this.#plan;
    const error = plan.translate ? plan.translate(thrown) : thrown;
    if (mayHaveRun(error)) this.#maybeApplied = true;
    if (this.#stopping) return this.#fail(this.#stopping(this.#maybeApplied));
    const settings = this.#settings;
    if (this.#plan.retryable && isConnectionError(error) && this.#attempts < settings.maxAttempts && !settings.closed) {
      const wait = backoffBefore(this.#attempts);
      if (this.#deadline === undefined || performance.now() + wait < this.#deadline.at) {
        this.#backoffTimer = setTimeout(() => this.#attempt(), wait);
        return;
      }
    }
    this.#fail(isFerriteError(error) ? withMaybeApplied(error, this.#maybeApplied) : error);
  }

  #fail(error: unknown): void {
    if (this.#finish()) this.#reject(error);
  }

  /** Releases what the call holds; false when it had settled already. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#deadline) cancelDeadline(this.#deadline);
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    if (this.#graceTimer) clearImmediate(this.#graceTimer);
    if (this.#onAbort) for (const signal of this.#plan.signals) signal.removeEventListener('abort', this.#onAbort);
    this.#settings.pending.delete(this);
    return true;
  }
}
