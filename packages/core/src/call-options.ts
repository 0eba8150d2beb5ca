import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** Milliseconds; `Infinity` for no deadline. A `BLOCK <ms>` argument extends it by `ms`. */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
}

/** Options gathered from nested views: the innermost timeout wins, every signal counts. */
export interface CallScope {
  readonly timeout: number | undefined;
  readonly signals: readonly AbortSignal[];
}

export const EMPTY_SCOPE: CallScope = Object.freeze({ timeout: undefined, signals: Object.freeze([]) as readonly AbortSignal[] });

const storage = new AsyncLocalStorage<CallScope>();

/** The options of the view whose call is running (plugin code called through `withOptions`). */
export function currentScope(): CallScope {
  return storage.getStore() ?? EMPTY_SCOPE;
}

export function runInScope<T>(scope: CallScope, work: () => T): T {
  return storage.run(scope, work);
}

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

const BLOCKING_SECONDS_LAST = new Set(['BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BZPOPMIN', 'BZPOPMAX']);
const BLOCKING_SECONDS_FIRST = new Set(['BLMPOP', 'BZMPOP']);

function argText(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (Buffer.isBuffer(arg) && arg.length <= 32) return arg.toString('latin1');
  return undefined;
}

function milliseconds(text: string | undefined, unit: number): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  const value = Number(text) * unit;
  return value === 0 ? Infinity : value;
}

/** Where a command keeps its blocking time, if anywhere. */
type BlockingKind = 'seconds-last' | 'seconds-first' | 'block-argument';

/** Names seen so far and their kind; bounded, since `send` takes any name a caller makes up. */
const kinds = new Map<string, BlockingKind>();
const MAX_KNOWN_NAMES = 1024;

function kindOf(name: string): BlockingKind {
  let kind = kinds.get(name);
  if (kind === undefined) {
    const upper = name.toUpperCase();
    kind = BLOCKING_SECONDS_LAST.has(upper) ? 'seconds-last' : BLOCKING_SECONDS_FIRST.has(upper) ? 'seconds-first' : 'block-argument';
    if (kinds.size < MAX_KNOWN_NAMES) kinds.set(name, kind);
  }
  return kind;
}

/**
 * How long a blocking command may legitimately wait for its reply, added to the deadline:
 * `BLOCK <ms>` anywhere in the arguments (`CDC.POLL`, `XREAD`), and the seconds argument of the
 * standard blocking list and sorted-set pops. `Infinity` for a wait without end (`BLOCK 0`).
 */
export function blockingTime(name: string, args: readonly unknown[]): number {
  // Runs for every command: most have fewer than two arguments, so no BLOCK pair to look for.
  if (args.length === 0) return 0;
  const kind = kindOf(name);
  if (kind === 'seconds-last') return milliseconds(argText(args[args.length - 1]), 1000) ?? 0;
  if (kind === 'seconds-first') return milliseconds(argText(args[0]), 1000) ?? 0;
  for (let i = 0; i < args.length - 1; i++) {
    const arg = args[i];
    // Only a 5-character argument can be BLOCK: most are skipped on their length alone.
    if ((typeof arg === 'string' || Buffer.isBuffer(arg)) && arg.length === 5) {
      const text = argText(arg) as string;
      if (text.toUpperCase() === 'BLOCK') {
        const ms = milliseconds(argText(args[i + 1]), 1);
        if (ms !== undefined) return ms;
      }
    }
  }
  return 0;
}
