import {
  FerriteAbortError,
  FerriteConnectionError,
  FerriteTimeoutError,
  isConnectionError,
  isFerriteError,
  isValidationError,
  type FerriteError,
} from './errors.js';
import { cancelDeadline, scheduleDeadline, type Deadline } from './deadline-queue.js';
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

/** What an attempt gets: the call's signal, in an object a transport's `send` takes as is. */
export interface AttemptOptions {
  readonly signal: AbortSignal;
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/** The wait before attempt `attempt + 1`, after `attempt` attempts failed. */
export function backoffBefore(attempt: number): number {
  return backoffDelay(attempt - 1, FIRST_BACKOFF_MS, MAX_BACKOFF_MS);
}

/*
 * The settle functions of the promise `run` is making, handed over by its executor: `new Promise`
 * runs the executor at once, so they are read back in the same step. A closure per call as the
 * executor (and the context it captures) was a share of what core allocates for every command.
 */
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;

function captureSettlers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
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
 * One call in progress, run to completion under a deadline, the caller's signals and the client's
 * lifecycle, retrying a retryable call after connection failures with backoff while time remains.
 * Every call settles by its deadline: an attempt still in flight then is abandoned (its late
 * outcome is dropped), and the error says whether the command may have run.
 *
 * A subclass says what one attempt is (`attempt`) and how its failures read (`translate`). The
 * call is one object that is also its own deadline entry and the options its attempts get (its
 * `signal` is made on first read): this runs for every command, and each object or closure a
 * call allocates is a measurable share of what core adds to a round trip.
 */
export abstract class Call<T> implements PendingCall, Slotted, Deadline, AttemptOptions {
  slot = -1;
  at = 0;
  queue: Deadline['queue'] = null;
  /** Command name, for error messages. */
  readonly name: string;
  /** Milliseconds for the whole call, every attempt and backoff included; `Infinity` for none. */
  readonly timeout: number;
  readonly signals: readonly AbortSignal[];
  /** Whether a connection failure may be followed by another attempt. */
  readonly retryable: boolean;
  #settings: CallRunnerSettings | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #controller: AbortController | undefined;
  #attempts = 0;
  #maybeApplied = false;
  #inFlight = false;
  #settled = false;
  #stopping: ((maybeApplied: boolean) => FerriteError) | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Immediate | undefined;
  #onAbort: ((event: Event) => void) | undefined;

  constructor(name: string, timeout: number, signals: readonly AbortSignal[], retryable: boolean) {
    this.name = name;
    this.timeout = timeout;
    this.signals = signals;
    this.retryable = retryable;
  }

  /**
   * One attempt. `options.signal` fires when the call is no longer awaited, so a transport can
   * drop an unwritten command; `options` may be handed to the transport as it is.
   */
  protected abstract attempt(options: AttemptOptions): Promise<T>;

  /** What an attempt's rejection becomes before the retry policy reads it (a Ferrite error). */
  protected translate(error: unknown): unknown {
    return error;
  }

  /**
   * The signal of this call, made on first read: most transports read it only when they can still
   * take a command back (queued while reconnecting), and an `AbortController` per call was the
   * largest cost core added to a call. It belongs to this call alone: it fires at most once, when
   * this call stops waiting, and never for a call that ended.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopping) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** Starts the call (once) and returns its outcome. */
  run(settings: CallRunnerSettings): Promise<T> {
    for (const signal of this.signals) if (signal.aborted) return Promise.reject(abortError(signal, false));
    if (settings.closed) return Promise.reject(new FerriteConnectionError('the Ferrite client is closed', { maybeApplied: false }));
    this.#settings = settings;
    const outcome = new Promise<T>(captureSettlers);
    this.#resolve = capturedResolve as (value: T) => void;
    this.#reject = capturedReject;
    try {
      this.#start(settings);
    } catch (error) {
      this.#fail(error);
    }
    return outcome;
  }

  #start(settings: CallRunnerSettings): void {
    // The command goes out first: the bookkeeping below then overlaps the round trip instead of
    // delaying the write (its outcome arrives in a later job, after all of this).
    this.#attempt();
    settings.pending.add(this);
    if (this.signals.length > 0) {
      this.#onAbort = (event: Event): void => this.stop((applied) => abortError(event.target as AbortSignal, applied));
      for (const signal of this.signals) signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (Number.isFinite(this.timeout)) scheduleDeadline(this.timeout, this);
  }

  /** The deadline passed. */
  expire(): void {
    const { name, timeout } = this;
    this.stop((applied) => new FerriteTimeoutError(name, timeout, { maybeApplied: applied }));
  }

  /** Settles the call with `error(maybeApplied)` unless it has settled already. */
  stop(error: (maybeApplied: boolean) => FerriteError): void {
    if (this.#settled || this.#stopping) return;
    this.#stopping = error;
    this.#controller?.abort();
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
      work = this.attempt(this);
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
    if (this.#finish()) (this.#resolve as (value: T) => void)(value);
  }

  #failed(thrown: unknown): void {
    this.#inFlight = false;
    const error = this.translate(thrown);
    if (mayHaveRun(error)) this.#maybeApplied = true;
    if (this.#stopping) return this.#fail(this.#stopping(this.#maybeApplied));
    const settings = this.#settings as CallRunnerSettings;
    if (this.retryable && isConnectionError(error) && this.#attempts < settings.maxAttempts && !settings.closed) {
      const wait = backoffBefore(this.#attempts);
      if (this.queue === null || performance.now() + wait < this.at) {
        this.#backoffTimer = setTimeout(() => this.#attempt(), wait);
        return;
      }
    }
    this.#fail(isFerriteError(error) ? withMaybeApplied(error, this.#maybeApplied) : error);
  }

  #fail(error: unknown): void {
    if (this.#finish()) (this.#reject as (error: unknown) => void)(error);
  }

  /** Releases what the call holds; false when it had settled already. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    cancelDeadline(this);
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    if (this.#graceTimer) clearImmediate(this.#graceTimer);
    if (this.#onAbort) for (const signal of this.signals) signal.removeEventListener('abort', this.#onAbort);
    (this.#settings as CallRunnerSettings).pending.delete(this);
    return true;
  }
}

/** A call whose attempt is a function: for the calls that are not one wire command. */
export class FunctionCall<T> extends Call<T> {
  readonly #attemptOnce: (options: AttemptOptions) => Promise<T>;

  constructor(name: string, timeout: number, signals: readonly AbortSignal[], retryable: boolean, attempt: (options: AttemptOptions) => Promise<T>) {
    super(name, timeout, signals, retryable);
    this.#attemptOnce = attempt;
  }

  protected attempt(options: AttemptOptions): Promise<T> {
    return this.#attemptOnce(options);
  }
}
