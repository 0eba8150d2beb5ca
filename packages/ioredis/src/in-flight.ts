import { FerriteConnectionError, type Reply, type WireCommand } from '@ferrite/core';
import { SlotSet, type Slotted, type TransportLifecycle, type WatchHandle } from '@ferrite/core/transport';
import type { Redis } from 'ioredis';
import { sendOn, WriteTurn } from './wire.js';
import { SettlingCommand, type Tracking } from './settling-command.js';
import { notSent, waitingRoomOf, WaitingCall, writableNow } from './waiting-room.js';

/** A call handed to ioredis on a writable connection (so written), whose outcome has not arrived. */
class InFlight implements Slotted {
  slot = -1;
  readonly reject: (error: FerriteConnectionError) => void;

  constructor(reject: (error: FerriteConnectionError) => void) {
    this.reject = reject;
  }
}

/**
 * What the transport keeps for each connection it writes on: the calls written and not yet
 * answered, and the writes of the current turn. One record, so a call looks it up once.
 */
class ConnectionCalls {
  readonly inFlight = new SlotSet<InFlight>();
  readonly writes = new WriteTurn();
}

const watched = new WeakMap<Redis, ConnectionCalls>();

function callsOn(connection: Redis): ConnectionCalls {
  let calls = watched.get(connection);
  if (!calls) {
    const record = new ConnectionCalls();
    const pending = record.inFlight;
    watched.set(connection, record);
    connection.on('close', () => {
      // Every call here was handed over while the connection was ready and writable, so it was
      // written on the connection that just closed. With autoResendUnfulfilledCommands off,
      // ioredis forgets such commands and their promises would never settle.
      const error = new FerriteConnectionError(
        'ioredis: the connection closed before the reply arrived; the command may or may not have been applied',
      );
      for (const entry of pending.snapshot()) {
        pending.delete(entry);
        entry.reject(error);
      }
    });
    calls = record;
  }
  return calls;
}

/** How a tracked call's outcome is handed over: the driver's value decoded, its failure translated. */
export interface Outcome<T, R> {
  readonly decode: (value: T) => R;
  readonly translate: (error: unknown) => unknown;
}

/** Writes with `send` now (the connection is writable) and settles through the driver's promise or the connection's close. */
function handOver<T, R>(
  connection: Redis,
  send: (writes: WriteTurn, lone: boolean) => Promise<T>,
  outcome: Outcome<T, R>,
  settled: () => void,
  resolve: (value: R) => void,
  reject: (error: unknown) => void,
): void {
  const calls = callsOn(connection);
  // Written first, so that the bookkeeping below overlaps the round trip.
  const sent = send(calls.writes, calls.inFlight.size === 0);
  const entries = calls.inFlight;
  const finish = (): void => {
    entries.delete(entry);
    settled();
  };
  const entry = new InFlight((error) => (finish(), reject(error)));
  entries.add(entry);
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
}

/**
 * Sends with `send` and settles the outcome whatever happens to the connection. ioredis gets the
 * call only while the connection can write it at once; until then it waits in the transport's own
 * queue, from which `signal` (core's deadline or an abort), the transport closing or the connection
 * ending takes it back (`maybeApplied: false`: never sent). Once handed over it counts as written:
 * a drop before the outcome rejects with `maybeApplied: true`. The transport's connections never
 * resend (see `ownConnectionOptions`), so nothing here can run twice.
 */
export function runTracked<T, R>(
  connection: Redis,
  send: (writes: WriteTurn, lone: boolean) => Promise<T>,
  lifecycle: TransportLifecycle,
  signal: AbortSignal | undefined,
  outcome: Outcome<T, R>,
): Promise<R> {
  lifecycle.assertOpen();
  return new Promise<R>((resolve, reject) => {
    if (writableNow(connection)) {
      // Closing the transport settles the call too (see TransportLifecycle.watch).
      const handle = lifecycle.watch(reject);
      handOver(connection, send, outcome, () => lifecycle.unwatch(handle), resolve, reject);
      return;
    }
    if (signal?.aborted) return reject(notSent('the caller stopped waiting'));
    if (connection.status === 'end') return reject(notSent('the connection is closed'));
    const room = waitingRoomOf(connection);
    const onAbort = (): void => {
      if (!room.leave(call)) return;
      signal?.removeEventListener('abort', onAbort);
      lifecycle.unwatch(handle);
      reject(notSent('the caller stopped waiting'));
    };
    const call = new WaitingCall(
      () => {
        signal?.removeEventListener('abort', onAbort);
        handOver(connection, send, outcome, () => lifecycle.unwatch(handle), resolve, reject);
      },
      (error) => {
        signal?.removeEventListener('abort', onAbort);
        lifecycle.unwatch(handle);
        reject(error);
      },
    );
    // A call still waiting when the transport closes is withdrawn (never sent); one handed over
    // by then is settled after the release.
    const handle = lifecycle.watch(reject, () => {
      if (!room.leave(call)) return false;
      signal?.removeEventListener('abort', onAbort);
      return true;
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    room.enter(call);
  });
}

/** A command written at once, tracked by its connection and its transport until it settles. */
class ReadyCall extends InFlight implements Tracking {
  readonly #entries: SlotSet<InFlight>;
  readonly #lifecycle: TransportLifecycle;
  readonly #handle: WatchHandle;

  constructor(command: SettlingCommand, entries: SlotSet<InFlight>, lifecycle: TransportLifecycle) {
    super(command.reject);
    this.#entries = entries;
    this.#lifecycle = lifecycle;
    this.#handle = lifecycle.watch(command.reject);
    entries.add(this);
  }

  release(): void {
    this.#entries.delete(this);
    this.#lifecycle.unwatch(this.#handle);
  }
}

/**
 * {@link runTracked} for one command on a connection that is writable now (`writableNow`), the
 * common case, with no promise of its own: the command is written at once, so there is nothing to
 * withdraw, and a connection or transport closing first settles it through the command's
 * `reject`. The caller gets the command's own promise, which settles with the normalised reply or
 * a Ferrite error (see `SettlingCommand`).
 */
export function runReady(connection: Redis, command: WireCommand, lifecycle: TransportLifecycle): Promise<Reply> {
  lifecycle.assertOpen();
  const pending = new SettlingCommand(command, connection.options.commandTimeout);
  const calls = callsOn(connection);
  // Written first, so that the bookkeeping below overlaps the round trip.
  sendOn(connection, pending, calls.writes, calls.inFlight.size === 0);
  pending.track(new ReadyCall(pending, calls.inFlight, lifecycle));
  return pending.outcome;
}
