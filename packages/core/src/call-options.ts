import { FerriteValidationError } from './errors.js';

/** Options for the calls made through a view of the client (`ferrite.withOptions(...)`). */
export interface CallOptions {
  /**
   * Deadline of each call in milliseconds, covering every attempt and the wait between them;
   * `Infinity` for none. Overrides the client's `timeout`.
   */
  readonly timeout?: number;
  /** Aborts the calls: they reject with `FerriteAbortError` at once, before or after the command was written. */
  readonly signal?: AbortSignal;
}

/** The options a call runs with, after views and the client's defaults are applied. */
export interface EffectiveCallOptions {
  /**
   * Milliseconds; `Infinity` for no deadline. A blocking command gets its blocking time on top
   * (its definition's `blockingMs`, or the standard blocking commands' own argument for `send`).
   */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  /**
   * The timeout a view set (`withOptions({ timeout })`, the innermost), `undefined` for calls
   * that run on the client's own. Work that outlives one command and is shared by several
   * callers (a single flight) bounds each caller's wait by it, never by the client's per-command
   * default.
   */
  readonly viewTimeout: number | undefined;
}

/**
 * Options gathered from nested views, held by each view's context (never ambient): the innermost
 * timeout wins, every signal counts.
 */
export interface CallScope {
  readonly timeout: number | undefined;
  readonly signals: readonly AbortSignal[];
}

export const EMPTY_SCOPE: CallScope = Object.freeze({ timeout: undefined, signals: Object.freeze([]) as readonly AbortSignal[] });

export function assertTimeout(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new FerriteValidationError(field, `expected a positive number of milliseconds or Infinity, got ${typeof value === 'number' ? value : typeof value}`);
  }
}

/** Checks a `withOptions` argument (a view is made synchronously, so this throws). */
export function toScope(options: CallOptions): CallScope {
  if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected an object');
  if (options.timeout !== undefined) assertTimeout(options.timeout, 'timeout');
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new FerriteValidationError('signal', 'expected an AbortSignal');
  return { timeout: options.timeout, signals: signal ? [signal] : [] };
}

/** `inner` applied over `outer`: the inner timeout wins when set; both sets of signals apply. */
export function mergeScopes(outer: CallScope, inner: CallScope): CallScope {
  if (outer === EMPTY_SCOPE) return inner;
  if (inner === EMPTY_SCOPE) return outer;
  const signals = outer.signals.length === 0 ? inner.signals : [...outer.signals, ...inner.signals.filter((s) => !outer.signals.includes(s))];
  return { timeout: inner.timeout ?? outer.timeout, signals };
}

/** One signal standing for several: `undefined` when there are none. */
export function combineSignals(signals: readonly AbortSignal[]): AbortSignal | undefined {
  if (signals.length === 0) return undefined;
  if (signals.length === 1) return signals[0];
  return AbortSignal.any([...signals]);
}
