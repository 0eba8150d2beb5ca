import { FerriteValidationError, isFerriteError, isReplyError, prepareCommand, type FerriteError, type PreparedCommand } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';
import { addCommand } from './commands/add.js';
import { indexInfoCommand } from './commands/index-info.js';
import { VectorAddManyAbortError, type AddManyFailure, type AddManyResult } from './errors.js';
import type { VectorSession } from './session.js';
import type { MetadataInput, VectorItem } from './types.js';
import { assertIndexName } from './validate.js';

/** Vectors per pipeline when `batchSize` is not given: large enough to amortise round trips, small enough to bound memory. */
export const DEFAULT_BATCH_SIZE = 500;
/** Batches sent and not yet acknowledged while the next one is pulled from the source. */
const MAX_IN_FLIGHT = 2;

/** An array, any iterable, or an async iterable (a generator reading a file, a database cursor…). */
export type ItemSource<Item> = Iterable<Item> | AsyncIterable<Item>;

/** What `onProgress` is told after each batch. */
export interface AddManyProgress {
  /** Vectors stored so far. */
  readonly added: number;
  /** Items rejected so far. */
  readonly failed: number;
  /** `added + failed`: items taken from the source and settled. */
  readonly processed: number;
}

/** Options of `addMany`. */
export interface AddManyOptions {
  /** Vectors per pipeline (default 500). At most two batches are unacknowledged at any time. */
  readonly batchSize?: number;
  /** Stops pulling from the source; `addMany` then rejects with `VectorAddManyAbortError`. */
  readonly signal?: AbortSignal;
  /** Called after each batch settles. If it throws, `addMany` stops and rejects with that error. */
  readonly onProgress?: (progress: AddManyProgress) => void;
}

const ABORTED = Symbol('aborted');

/** Resolves when the signal fires; `dispose` removes the listener so a long-lived signal does not collect them. */
function whenAborted(signal: AbortSignal): { readonly promise: Promise<typeof ABORTED>; dispose(): void } {
  let listener: (() => void) | undefined;
  const promise = new Promise<typeof ABORTED>((resolve) => {
    listener = () => resolve(ABORTED);
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener('abort', listener, { once: true });
  });
  return { promise, dispose: () => listener && signal.removeEventListener('abort', listener) };
}

function idOf(item: unknown): string {
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : String(id);
}

function asFerriteError(error: unknown): FerriteError {
  if (isFerriteError(error)) return error;
  return new FerriteValidationError('item', error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Server errors that concern the whole operation rather than one item: nothing else will succeed,
 * so `addMany` rejects instead of filling `failed` with thousands of copies.
 */
function isFatal(error: FerriteError): boolean {
  return !isReplyError(error) || error.kind === 'unknown-index' || error.kind === 'noauth' || error.kind === 'unknown-command';
}

function openIterator<Item>(items: ItemSource<Item>): AsyncIterator<Item> | Iterator<Item> {
  if (items !== null && typeof items === 'object') {
    const asyncFactory = (items as AsyncIterable<Item>)[Symbol.asyncIterator];
    if (typeof asyncFactory === 'function') return asyncFactory.call(items);
    const syncFactory = (items as Iterable<Item>)[Symbol.iterator];
    if (typeof syncFactory === 'function') return syncFactory.call(items);
  }
  throw new FerriteValidationError('items', 'expected an array, an iterable or an async iterable');
}

function validateOptions(options: AddManyOptions): number {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  assertInteger(batchSize, 'batchSize', { min: 1 });
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new FerriteValidationError('signal', 'expected an AbortSignal');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new FerriteValidationError('onProgress', 'expected a function');
  }
  return batchSize;
}

interface Pending {
  readonly id: string;
  readonly command: PreparedCommand<void>;
}

/**
 * Adds vectors in pipelined batches with bounded look-ahead: the source is pulled one batch at a
 * time, and a batch is pulled only while at most one earlier batch is unacknowledged, so memory
 * stays at about two batches whatever the source's size.
 */
export async function addMany<Meta extends MetadataInput>(
  session: VectorSession,
  index: string,
  items: ItemSource<VectorItem<Meta>>,
  options: AddManyOptions = {},
): Promise<AddManyResult> {
  assertIndexName(index);
  const batchSize = validateOptions(options);
  const { signal, onProgress } = options;
  const iterator = openIterator(items);
  let added = 0;
  const failed: AddManyFailure[] = [];
  const result = (): AddManyResult => ({ added, failed });
  let fatal: { readonly error: unknown } | undefined;
  const inFlight: Promise<void>[] = [];
  let exhausted = false;
  let pulling = false;
  const aborted = signal ? whenAborted(signal) : undefined;

  const send = async (batch: readonly Pending[]): Promise<void> => {
    try {
      const settled = await session.batch(index, batch.map((pending) => pending.command));
      settled.forEach((entry, i) => {
        if (entry.ok) added++;
        else if (isFatal(entry.error)) fatal ??= { error: entry.error };
        else failed.push({ id: (batch[i] as Pending).id, error: entry.error });
      });
    } catch (error) {
      fatal ??= { error: session.observe(index, error) };
    }
    report();
  };

  // Never throws: a batch's promise sits unobserved in `inFlight` for a while, and a throwing
  // callback stops the load like any other fatal error.
  const report = (): void => {
    try {
      onProgress?.({ added, failed: failed.length, processed: added + failed.length });
    } catch (error) {
      fatal ??= { error };
    }
  };

  try {
    if (signal?.aborted) throw new VectorAddManyAbortError(result(), signal.reason);
    // Knowing the dimension up front lets every item be validated before it is sent, and an
    // unknown index fail here rather than once per item.
    let dimension = session.dimensionOf(index);
    if (dimension === undefined) {
      dimension = (await session.call(index, indexInfoCommand, index)).dim;
      session.rememberDimension(index, dimension);
    }
    while (!exhausted && !fatal && !signal?.aborted) {
      const batch: Pending[] = [];
      let pulled = 0;
      while (pulled < batchSize) {
        pulling = true;
        const next = aborted ? await Promise.race([iterator.next(), aborted.promise]) : await iterator.next();
        pulling = next === ABORTED;
        if (next === ABORTED) break;
        if (next.done) {
          exhausted = true;
          break;
        }
        pulled++;
        const item: unknown = next.value;
        try {
          if (typeof item !== 'object' || item === null) throw new FerriteValidationError('item', 'expected { id, vector, metadata? }');
          const { id, vector, metadata } = item as VectorItem<Meta>;
          batch.push({ id, command: prepareCommand(addCommand, index, id, vector, metadata, { dimension }) });
        } catch (error) {
          failed.push({ id: idOf(item), error: asFerriteError(error) });
        }
      }
      if (batch.length > 0) inFlight.push(send(batch));
      else if (pulled > 0) report(); // a batch of nothing but invalid items
      if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    }
  } finally {
    aborted?.dispose();
    await Promise.all(inFlight);
    if (!exhausted) {
      // A source still busy producing (we stopped waiting on it at abort) would only answer
      // `return()` after it finishes, so it is not awaited then.
      const closing = Promise.resolve(iterator.return?.()).catch(() => undefined);
      if (!pulling) await closing;
    }
  }
  if (fatal) throw fatal.error;
  if (signal?.aborted) throw new VectorAddManyAbortError(result(), signal.reason);
  return result();
}
