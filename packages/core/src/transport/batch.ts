import { FerriteConnectionError, isFerriteError, type FerriteError } from '../errors.js';
import type { Reply } from '../reply.js';
import type { BatchEntry } from '../transport.js';

/** Whatever a call rejected with, as a Ferrite error (a connection error when it is not one). */
export function asFerriteError(error: unknown, driver: string): FerriteError {
  return isFerriteError(error) ? error : new FerriteConnectionError(`${driver}: ${messageOf(error)}`);
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Settles each call into its batch entry, in order; `driver` names the transport in odd failures. */
export function settleEach(calls: readonly Promise<Reply>[], driver: string): Promise<BatchEntry[]> {
  return Promise.all(
    calls.map((call) =>
      call.then(
        (value): BatchEntry => ({ ok: true, value }),
        (error: unknown): BatchEntry => ({ ok: false, error: asFerriteError(error, driver) }),
      ),
    ),
  );
}
