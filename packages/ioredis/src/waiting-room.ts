import { FerriteConnectionError } from '@ferrite/core';
import type { Redis } from 'ioredis';

/**
 * Whether ioredis writes a command handed to it now. It writes at once only when the connection
 * is ready and its socket writable; otherwise it keeps the command in an offline queue of its own
 * and writes it after a reconnect, which the transport could neither see nor take back. Checked in
 * the same synchronous turn as the hand-over, so the answer cannot go stale in between.
 */
export function writableNow(connection: Redis): boolean {
  // `stream` is unset until the first connection attempt, whatever its typings say.
  return connection.status === 'ready' && (connection.stream as Redis['stream'] | undefined)?.writable === true;
}

/** For a call that never reached ioredis: the server cannot have seen it. */
export function notSent(why: string): FerriteConnectionError {
  return new FerriteConnectionError(`ioredis: ${why} before the command was sent`, { maybeApplied: false });
}

/** A call waiting in the transport's own queue until the connection can write it. */
export class WaitingCall {
  /** Connection attempts that ended while this call waited. */
  failedAttempts = 0;
  /** Hands the call to ioredis (the connection is writable). */
  readonly handOver: () => void;
  /** Gives up on the call, which was never handed over. */
  readonly giveUp: (error: FerriteConnectionError) => void;

  constructor(handOver: () => void, giveUp: (error: FerriteConnectionError) => void) {
    this.handOver = handOver;
    this.giveUp = giveUp;
  }
}

/**
 * The calls made on a connection while it could not write, in call order. They are handed to
 * ioredis once it is ready again; one taken out (`leave`) before that was provably never sent.
 * Like ioredis' own offline queue, a call gives up after `maxRetriesPerRequest` + 1 failed
 * connection attempts (never, when that option is `null`), and every call gives up when the
 * connection ends for good.
 */
class WaitingRoom {
  readonly #connection: Redis;
  readonly #calls = new Set<WaitingCall>();

  constructor(connection: Redis) {
    this.#connection = connection;
    connection.on('ready', () => this.#handOverWhileWritable());
    connection.on('close', () => this.#countFailedAttempt());
    connection.on('end', () => this.#giveUpAll(notSent('the connection ended')));
  }

  enter(call: WaitingCall): void {
    this.#calls.add(call);
    // ioredis connects a lazy client on its first command; the transport's queue must too.
    if (this.#connection.status === 'wait') this.#connection.connect().catch(() => {});
  }

  /** Takes `call` out; returns whether it was still waiting (then nothing of it was sent). */
  leave(call: WaitingCall): boolean {
    return this.#calls.delete(call);
  }

  #handOverWhileWritable(): void {
    for (const call of this.#calls) {
      // A socket that stops being writable here closes next, and the next `ready` resumes.
      if (!writableNow(this.#connection)) return;
      this.#calls.delete(call);
      call.handOver();
    }
  }

  #countFailedAttempt(): void {
    const limit = this.#connection.options.maxRetriesPerRequest;
    // ioredis ignores a negative limit too.
    if (typeof limit !== 'number' || limit < 0) return;
    for (const call of this.#calls) {
      call.failedAttempts += 1;
      if (call.failedAttempts <= limit) continue;
      this.#calls.delete(call);
      call.giveUp(notSent(`the connection failed ${call.failedAttempts} times (maxRetriesPerRequest is ${limit})`));
    }
  }

  #giveUpAll(error: FerriteConnectionError): void {
    for (const call of [...this.#calls]) {
      this.#calls.delete(call);
      call.giveUp(error);
    }
  }
}

const rooms = new WeakMap<Redis, WaitingRoom>();

/** The waiting room of `connection`, made (and its listeners added) on first use. */
export function waitingRoomOf(connection: Redis): WaitingRoom {
  let room = rooms.get(connection);
  if (!room) {
    room = new WaitingRoom(connection);
    rooms.set(connection, room);
  }
  return room;
}
