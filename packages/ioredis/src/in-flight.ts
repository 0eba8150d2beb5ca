import {
  FerriteConnectionError,
} from '@ferrite/core';
import { SlotSet, TransportLifecycle, type Slotted } from '@ferrite/core/transport';
import type { Command, Redis } from 'ioredis';
import { sendOn } from './wire.js';

/** ioredis' queue of commands waiting for a connection (not written yet). Not in its typings. */
interface OfflineQueue {
  readonly length: number;
  peekAt(index: number): { readonly command: Command } | undefined;
  removeOne(index: number): unknown;
}

function offlineQueueOf(connection: Redis): OfflineQueue | undefined {
  return (connection as unknown as { offlineQueue?: OfflineQueue }).offlineQueue;
}

function offlineCommands(connection: Redis): Set<Command> {
  const queue = offlineQueueOf(connection);
  const commands = new Set<Command>();
  if (!queue) return commands;
  for (let index = 0; index < queue.length; index++) {
    const item = queue.peekAt(index);
    if (item) commands.add(item.command);
  }
  return commands;
}

/**
 * Takes `commands` back from the connection's offline queue if none of them has been written
 * yet; returns whether it did (then the server never saw them).
 */
export function withdraw(connection: Redis, commands: readonly Command[]): boolean {
  const queue = offlineQueueOf(connection);
  if (!queue) return false;
  const offline = offlineCommands(connection);
  if (!commands.every((command) => offline.has(command))) return false;
  const taken = new Set(commands);
  for (let index = queue.length - 1; index >= 0; index--) {
    const item = queue.peekAt(index);
    if (item && taken.has(item.command)) queue.removeOne(index);
  }
  return true;
}

/** Commands written on a connection whose replies have not arrived, and how to fail them. */
class InFlight implements Slotted {
  slot = -1;
  readonly commands: readonly Command[];
  readonly reject: (error: FerriteConnectionError) => void;

  constructor(commands: readonly Command[], reject: (error: FerriteConnectionError) => void) {
    this.commands = commands;
    this.reject = reject;
  }
}

const watched = new WeakMap<Redis, SlotSet<InFlight>>();

function entriesOf(connection: Redis): SlotSet<InFlight> {
  let entries = watched.get(connection);
  if (!entries) {
    const pending = new SlotSet<InFlight>();
    watched.set(connection, pending);
    connection.on('close', () => {
      // Commands still in the offline queue were never written: ioredis sends them once it
      // reconnects. The others were written (or were being written) on the connection that just
      // closed; with autoResendUnfulfilledCommands off, ioredis forgets them and their promises
      // would never settle.
      const offline = offlineCommands(connection);
      const error = new FerriteConnectionError(
        'ioredis: the connection closed before the reply arrived; the command may or may not have been applied',
      );
      for (const entry of pending.snapshot()) {
        if (entry.commands.some((command) => offline.has(command))) continue;
        pending.delete(entry);
        entry.reject(error);
      }
    });
    entries = pending;
  }
  return entries;
}

/** How a tracked call's outcome is handed over: the driver's value decoded, its failure translated. */
export interface Outcome<T, R> {
  readonly decode: (value: T) => R;
  readonly translate: (error: unknown) => unknown;
}

/**
 * Sends `commands` with `send` and settles the outcome whatever happens to the connection: a
 * drop after they were written rejects (maybe applied), `signal` withdraws them while they wait
 * for a connection (never applied), and closing the transport settles them through `lifecycle`.
 * The transport's connections never resend (see `ownConnectionOptions`), so nothing here can run
 * twice. One promise per call, settled by whichever comes first.
 */
export function runTracked<T, R>(
  connection: Redis,
  commands: readonly Command[],
  send: () => Promise<T>,
  lifecycle: TransportLifecycle,
  signal: AbortSignal | undefined,
  outcome: Outcome<T, R>,
): Promise<R> {
  const entries = entriesOf(connection);
  // A ready connection writes the commands at once: nothing is left to withdraw, so the signal
  // need not be watched (the common case, kept cheap).
  const queued = connection.status !== 'ready';
  lifecycle.assertOpen();
  return new Promise<R>((resolve, reject) => {
    // Written first, so that the bookkeeping below overlaps the round trip instead of delaying
    // the write; the outcome can only arrive in a later job.
    const sent = send();
    const entry = new InFlight(commands, reject);
    // Closing the transport settles the call too (see TransportLifecycle.watch).
    const handle = lifecycle.watch(reject, queued ? () => withdraw(connection, commands) : undefined);
    const onAbort = queued
      ? (): void => {
          if (!withdraw(connection, commands)) return;
          finish();
          reject(new FerriteConnectionError('ioredis: withdrawn before it was sent', { maybeApplied: false }));
        }
      : undefined;
    const finish = (): void => {
      lifecycle.unwatch(handle);
      entries.delete(entry);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    entries.add(entry);
    if (onAbort) signal?.addEventListener('abort', onAbort, { once: true });
    sent.then(
      (value) => {
        finish();
        let decoded: R;
        try {
          decoded = outcome.decode(value);
        } catch (error) {
          reject(outcome.translate(error));
          return;
        }
        resolve(decoded);
      },
      (error: unknown) => {
        finish();
        reject(outcome.translate(error));
      },
    );
  });
}

/**
 * {@link runTracked} for one command on a ready connection, the common case, with no promise of
 * its own: the command is written at once, so there is nothing to withdraw, and a connection or
 * transport closing first settles it through the driver's own `reject`. The caller gets the
 * driver's promise, decoded, one step later.
 */
export function runReady<R>(
  connection: Redis,
  pending: Command,
  lifecycle: TransportLifecycle,
  outcome: Outcome<unknown, R>,
): Promise<R> {
  lifecycle.assertOpen();
  // Written first, so that the bookkeeping below overlaps the round trip.
  const sent = sendOn(connection, pending);
  const entries = entriesOf(connection);
  const entry = new InFlight([pending], pending.reject);
  const handle = lifecycle.watch(pending.reject);
  entries.add(entry);
  return sent.then(
    (value) => {
      lifecycle.unwatch(handle);
      entries.delete(entry);
      try {
        return outcome.decode(value);
      } catch (error) {
        throw outcome.translate(error);
      }
    },
    (error: unknown) => {
      lifecycle.unwatch(handle);
      entries.delete(entry);
      throw outcome.translate(error);
    },
  );
}
