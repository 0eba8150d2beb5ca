import {
  FerriteError,
  FerriteReplyError,
  isReplyError,
  type FerriteErrorCode,
  type FerriteErrorOptions,
} from '@ferrite/core';

/**
 * The key holds the other kind of CRDT value (a counter used as a set, or the reverse): the
 * server's `WRONGTYPE` reply. A key holds either a counter or a set, for good.
 */
export class CrdtTypeError extends FerriteReplyError {
  static override readonly brand: string = 'CrdtTypeError';
}

/**
 * The increment would take the counter outside signed 64 bits (`ERR increment or decrement would
 * overflow`). The server applied nothing, and did not remember the op-id.
 */
export class CrdtOverflowError extends FerriteReplyError {
  static override readonly brand: string = 'CrdtOverflowError';
}

/** What a {@link CrdtIndeterminateError} knows about the increment it could not settle. */
export interface CrdtIndeterminateDetails {
  readonly key: string;
  /** The amount of the increment (negative for `decr`), as the caller's mode gives it. */
  readonly amount: number | bigint;
  readonly opId: string;
}

/**
 * An increment was sent, but no reply came within the deadline (after core's retries with the same
 * op-id): the server may or may not have applied it. Never a guessed value. To learn the outcome,
 * send it again with the same op-id, `counter.incr(error.amount, { opId: error.opId })`, while the
 * server still remembers it (the last 10000 op-ids of the key): it is applied at most once either
 * way. `code` and `cause` are those of the last failure (a timeout, a lost connection, an abort).
 */
export class CrdtIndeterminateError extends FerriteError {
  static override readonly brand: string = 'CrdtIndeterminateError';
  /** Always true: this error exists for the case where the increment may have been applied. */
  readonly maybeApplied: true = true;
  readonly key: string;
  readonly amount: number | bigint;
  /** The op-id that was sent, to resend or to reconcile against. */
  readonly opId: string;

  constructor(details: CrdtIndeterminateDetails, options: FerriteErrorOptions & { readonly code?: FerriteErrorCode } = {}) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      options.code ?? 'TIMEOUT',
      `the increment of "${details.key}" by ${details.amount} (op-id ${details.opId}) may or may not have been applied${reason}`,
      options,
    );
    this.key = details.key;
    this.amount = details.amount;
    this.opId = details.opId;
  }
}

/**
 * The counter's value is outside ±(2^53 − 1), where a `number` is exact; it is never rounded.
 * Read it with `counter(key, { bigint: true })`. For an increment, `applied` is true: the server
 * counted it, and `value` is the exact new value.
 */
export class CrdtUnsafeIntegerError extends FerriteError {
  static override readonly brand: string = 'CrdtUnsafeIntegerError';
  readonly key: string;
  /** The exact value the server replied. */
  readonly value: bigint;
  /** Whether the call that failed changed the counter (an increment), so it must not simply be repeated. */
  readonly applied: boolean;

  constructor(key: string, value: bigint, applied: boolean) {
    super(
      'REPLY',
      `counter "${key}" is ${value}, outside ±(2^53 − 1) where a number is exact` +
        `${applied ? ' (the increment was applied)' : ''}; use counter(key, { bigint: true })`,
    );
    this.key = key;
    this.value = value;
    this.applied = applied;
  }
}

const CONNECTION_LOSS_CODES: ReadonlySet<FerriteErrorCode> = new Set(['TIMEOUT', 'CONNECTION', 'ABORTED']);

/**
 * Whether a failed call may have reached the server: a timeout, a lost connection or an abort,
 * unless core proved the command never left the client (`maybeApplied: false`).
 */
export function mayHaveApplied(error: unknown): error is FerriteError {
  if (!(error instanceof FerriteError) || !CONNECTION_LOSS_CODES.has(error.code)) return false;
  return (error as { readonly maybeApplied?: boolean }).maybeApplied !== false;
}

/**
 * Re-throws the server errors CRDT commands know as their typed classes, keeping the server's text,
 * the command name and the original error as `cause`. Anything else passes through.
 */
export function toCrdtError(error: unknown): unknown {
  if (!isReplyError(error) || error instanceof CrdtTypeError || error instanceof CrdtOverflowError) return error;
  if (error.kind === 'wrongtype') return new CrdtTypeError(error.command, error.serverMessage, { cause: error });
  if (/would overflow/i.test(error.serverMessage)) return new CrdtOverflowError(error.command, error.serverMessage, { cause: error });
  return error;
}
