import type { Reply, WireCommand } from '@ferrite/core';
import { Command } from 'ioredis';
import { normaliseReply } from './normalise.js';
import { translateError } from './errors.js';

/** What a command written at once is tracked by until it settles (see `in-flight.ts`). */
export interface Tracking {
  /** Stops tracking: the command settled. Safe to call more than once. */
  release(): void;
}

/**
 * A command whose promise settles with the transport's own outcome: the reply normalised as core
 * expects (ioredis' public reply hook, `transformReply`, which it runs before resolving), or the
 * failure translated into a Ferrite error (every failure ioredis reports goes through the
 * command's `reject`). The transport hands this promise to core as it is. Normalising in a `then`
 * of its own instead cost one more promise, two closures and one more turn of the microtask queue
 * per call, which is a measurable share of what the SDK adds to a round trip.
 *
 * Only for a command sent on its own (never in a pipeline: ioredis' `Pipeline` reads the replies
 * of its commands raw).
 */
export class SettlingCommand extends Command {
  readonly #wire: WireCommand;
  readonly #driverTimeoutMs: number | undefined;
  #tracking: Tracking | undefined;

  constructor(wire: WireCommand, driverTimeoutMs: number | undefined) {
    // Replies left undecoded (Buffers): `normaliseReply` decodes them. ioredis copies the
    // arguments itself (`args.flat()`), so the caller's array is never changed.
    super(wire.name, wire.args as Array<string | Buffer>, { replyEncoding: null });
    this.#wire = wire;
    this.#driverTimeoutMs = driverTimeoutMs;
    const settle = this.reject;
    this.reject = (error: Error): void => {
      this.#tracking?.release();
      settle(translateError(error, wire.name, this.#driverTimeoutMs));
    };
  }

  /** The promise core gets: the normalised reply, or a Ferrite error. */
  get outcome(): Promise<Reply> {
    return this.promise as Promise<Reply>;
  }

  /** Tracked by `tracking` until it settles (at once when it settled already). */
  track(tracking: Tracking): void {
    if (this.isSettled) tracking.release();
    else this.#tracking = tracking;
  }

  // Typed as ioredis types the reply hook; it returns a normalised `Reply` (a `number`, a `Map`…),
  // which ioredis resolves the command's promise with as it is. A throw (an error nested in the
  // reply) rejects the command through `reject`.
  override transformReply(result: Buffer | Buffer[]): string | string[] | Buffer | Buffer[] {
    this.#tracking?.release();
    return normaliseReply(result, this.#wire) as unknown as string;
  }
}
