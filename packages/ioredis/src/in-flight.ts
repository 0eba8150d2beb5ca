import { FerriteConnectionError } from '@ferrite/core';
import type { Redis } from 'ioredis';

type Abort = (error: FerriteConnectionError) => void;

const inFlight = new WeakMap<Redis, Set<Abort>>();

function abortsOf(connection: Redis): Set<Abort> {
  let aborts = inFlight.get(connection);
  if (!aborts) {
    const pending = new Set<Abort>();
    inFlight.set(connection, pending);
    connection.on('close', () => {
      const dropped = [...pending];
      pending.clear();
      const error = new FerriteConnectionError(
        'ioredis: the connection closed before the reply arrived; the command may or may not have been applied',
      );
      for (const abort of dropped) abort(error);
    });
    aborts = pending;
  }
  return aborts;
}

/**
 * Runs `work` (commands written on `connection`) so that it settles even when the connection
 * drops before the reply. With `autoResendUnfulfilledCommands: false`, ioredis 6 forgets the
 * commands that were in flight when it reconnects: their promises never settle. Here they reject
 * with a `FerriteConnectionError` when the connection closes. Commands queued while the
 * connection is down are left to ioredis, which sends them once it is back.
 */
export function settleWhenDropped<T>(connection: Redis, work: () => Promise<T>): Promise<T> {
  if (connection.options.autoResendUnfulfilledCommands !== false || connection.status !== 'ready') return work();
  const aborts = abortsOf(connection);
  return new Promise<T>((resolve, reject) => {
    const abort: Abort = (error) => reject(error);
    aborts.add(abort);
    work().then(
      (value) => {
        aborts.delete(abort);
        resolve(value);
      },
      (error: unknown) => {
        aborts.delete(abort);
        reject(error);
      },
    );
  });
}
