import {
  FerriteAbortError,
  FerriteReplyError,
  isReplyError,
  type FerriteError,
  type FerriteErrorOptions,
} from '@ferrite/core';
import type { VectorDistance } from './types.js';

/** The index does not exist (`ERR Unknown index: <index>`). */
export class VectorIndexNotFoundError extends FerriteReplyError {
  static override readonly brand: string = 'VectorIndexNotFoundError';
}

/** `createIndex` on a name that is taken (`ERR index already exists: <index>`). */
export class VectorIndexExistsError extends FerriteReplyError {
  static override readonly brand: string = 'VectorIndexExistsError';
}

/** The server rejected a vector whose length is not the index's dimension. */
export class VectorDimensionMismatchError extends FerriteReplyError {
  static override readonly brand: string = 'VectorDimensionMismatchError';
  /** The index's dimension, when the server's text states it. */
  readonly expected: number | undefined;
  /** The vector's length, when the server's text states it. */
  readonly actual: number | undefined;

  constructor(command: string, serverMessage: string, options?: FerriteErrorOptions) {
    super(command, serverMessage, options);
    const stated = /expected (\d+), got (\d+)/i.exec(serverMessage);
    this.expected = stated ? Number(stated[1]) : undefined;
    this.actual = stated ? Number(stated[2]) : undefined;
  }
}

/** The server could not parse a FILTER expression (`ERR syntax error in FILTER: …`). */
export class VectorFilterSyntaxError extends FerriteReplyError {
  static override readonly brand: string = 'VectorFilterSyntaxError';
}

/**
 * `ensureIndex` found an index of that name with another dimension or distance: the server's
 * answer (after round trips), so a reply-class error. Nothing was created or changed.
 */
export class VectorIndexConflictError extends FerriteReplyError {
  static override readonly brand: string = 'VectorIndexConflictError';
  readonly index: string;
  readonly existing: { readonly dim: number; readonly distance: VectorDistance };
  readonly requested: { readonly dim: number; readonly distance: VectorDistance };

  constructor(
    index: string,
    existing: { dim: number; distance: VectorDistance },
    requested: { dim: number; distance: VectorDistance },
  ) {
    super(
      'VECTOR.INDEX.INFO',
      `index "${index}" exists with DIM ${existing.dim} DISTANCE ${existing.distance}, ` +
        `not DIM ${requested.dim} DISTANCE ${requested.distance}`,
    );
    this.index = index;
    this.existing = existing;
    this.requested = requested;
  }
}

/** What `addMany` had done when it stopped. */
export interface AddManyResult {
  /** Vectors the server stored (inserted or replaced). */
  readonly added: number;
  /** Items that were rejected, by validation or by the server, with why. */
  readonly failed: readonly AddManyFailure[];
}

/** An item `addMany` could not store, and why. */
export interface AddManyFailure {
  readonly id: string;
  readonly error: FerriteError;
}

/** `addMany` was aborted through its signal. Carries what had been done; nothing in flight is lost track of. */
export class VectorAddManyAbortError extends FerriteAbortError {
  static override readonly brand: string = 'VectorAddManyAbortError';
  readonly added: number;
  readonly failed: readonly AddManyFailure[];

  constructor(result: AddManyResult, reason: unknown) {
    super(`addMany was aborted after ${result.added} vectors were added (${result.failed.length} failed)`, {
      cause: reason,
    });
    this.added = result.added;
    this.failed = result.failed;
  }
}

const REPLY_ERRORS = {
  'unknown-index': VectorIndexNotFoundError,
  'index-exists': VectorIndexExistsError,
  'dimension-mismatch': VectorDimensionMismatchError,
  'filter-syntax': VectorFilterSyntaxError,
} as const;

/**
 * Re-throws server errors the vector commands know as their typed classes, keeping the server's
 * text, the command name and the original error as `cause`. Anything else passes through.
 */
export function toVectorError(error: unknown): unknown {
  if (!isReplyError(error)) return error;
  const typed = REPLY_ERRORS[error.kind as keyof typeof REPLY_ERRORS];
  if (typed === undefined || error instanceof typed) return error;
  return new typed(error.command, error.serverMessage, { cause: error });
}
