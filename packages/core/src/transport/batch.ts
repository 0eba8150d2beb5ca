import { asFerriteError, FerriteConnectionError } from '../errors.js';
import type { Reply } from '../reply.js';
import type { BatchEntry } from '../transport.js';

// Core's one conversion, re-exported where the cluster transport has always imported it from.
export { asFerriteError };

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

/**
 * Splits a batch into groups that go to one place each (a node's connection), keeping command
 * order inside a group, runs the groups side by side and puts the entries back in command order.
 * `place` decides where an entry goes, or settles it at once with an error (no route).
 */
export async function runGrouped<Place>(
  count: number,
  place: (index: number) => Promise<Place>,
  run: (place: Place, indexes: readonly number[]) => Promise<BatchEntry[]>,
  driver: string,
): Promise<BatchEntry[]> {
  const entries = new Array<BatchEntry>(count);
  const places = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      place(index).then(
        (where) => ({ where }),
        (error: unknown) => void (entries[index] = { ok: false, error: asFerriteError(error, driver) }),
      ),
    ),
  );
  const groups = new Map<Place, number[]>();
  places.forEach((placed, index) => {
    if (!placed) return;
    const group = groups.get(placed.where);
    if (group) group.push(index);
    else groups.set(placed.where, [index]);
  });
  await Promise.all(
    [...groups].map(async ([where, indexes]) => {
      let results: BatchEntry[];
      try {
        results = await run(where, indexes);
      } catch (error) {
        const failure = asFerriteError(error, driver);
        results = indexes.map(() => ({ ok: false, error: failure }));
      }
      indexes.forEach((index, position) => {
        entries[index] = results[position] ?? { ok: false, error: new FerriteConnectionError(`${driver}: no reply in the pipeline`) };
      });
    }),
  );
  return entries;
}
