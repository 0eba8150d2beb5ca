import type { WireCommand } from '@ferrite/core';
import { blockingTime, type TransportLifecycle } from '@ferrite/core/transport';
import { Batch, Decoder, type GlideClient } from '@valkey/valkey-glide';
import { refusedBeforeSending } from './errors.js';

const SETTLED = Promise.resolve();
const TEXT = { decoder: Decoder.String } as const;
const BYTES = { decoder: Decoder.Bytes } as const;

/** A command waiting for the end of the turn: what GLIDE writes, and who waits for its raw reply. */
interface Queued {
  readonly command: WireCommand;
  readonly args: Array<string | Buffer>;
  readonly decoder: Decoder;
  readonly resolve: (raw: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers the commands a single-node transport writes in one synchronous turn and hands them to
 * GLIDE as one non-atomic `Batch` per run of commands read with the same decoder (a pipeline:
 * each command runs by itself, as if sent alone). Each GLIDE request costs a crossing into its native core and a serialised request of
 * its own, several times what the command costs to write: 64 calls in flight cost one crossing
 * instead of 64. The first command of a turn goes out at once as a plain `customCommand`, so
 * sequential calls take the path they took before.
 *
 * Each caller gets what a `customCommand` of its own would have given: its reply, the server's
 * error for it (GLIDE puts a `RequestError` in its place), or, when GLIDE fails the whole batch,
 * that same error, which the transport reads per command as it reads a `customCommand`'s (a text
 * read whose batch was not UTF-8 is read again as bytes; nothing else is written again). A command is queued only for the rest of the turn; once handed to GLIDE it
 * cannot be withdrawn, exactly like a `customCommand`.
 */
export class TurnBatcher {
  readonly #client: GlideClient;
  readonly #lifecycle: TransportLifecycle;
  /** The commands called in this turn after its first, in call order; `undefined` while no turn is open. */
  #queued: Queued[] | undefined;
  readonly #flushTurn = (): void => this.#flush();

  constructor(client: GlideClient, lifecycle: TransportLifecycle) {
    this.#client = client;
    this.#lifecycle = lifecycle;
  }

  /**
   * Writes `command` (as `args`) with the text decoder or the bytes one; resolves with GLIDE's raw
   * reply. The first command of a turn is handed to GLIDE at once, as a `customCommand` (so a call
   * made alone costs one microtask more than before); the ones called after it in
   * the same turn wait for its end.
   */
  write(command: WireCommand, args: Array<string | Buffer>, text: boolean): Promise<unknown> {
    const decoder = text ? Decoder.String : Decoder.Bytes;
    if (this.#queued === undefined) {
      this.#queued = [];
      // A reaction of a settled promise ends the turn: cheaper than `queueMicrotask`, which makes an async resource per call.
      void SETTLED.then(this.#flushTurn);
      return this.#customCommand(args, decoder);
    }
    const queued = this.#queued;
    return new Promise((resolve, reject) => {
      queued.push({ command, args, decoder, resolve, reject });
    });
  }

  /**
   * Hands the turn's commands to GLIDE in the order they were called (GLIDE writes its requests
   * on the connection in that order): each run of commands with the same decoder as one batch.
   */
  #flush(): void {
    const queued = this.#queued ?? [];
    this.#queued = undefined;
    if (queued.length === 0) return;
    // The transport closed during the turn: a command it had not yet handed to GLIDE is never written.
    if (this.#lifecycle.closed) {
      const closed = this.#lifecycle.closedError();
      for (const entry of queued) entry.reject(closed);
      return;
    }
    let run: Queued[] = [];
    for (const entry of queued) {
      // A blocking command keeps GLIDE's deadline for blocking commands (its own wait on top of
      // `requestTimeout`), which a batch does not get: it goes by itself.
      const blocking = blockingTime(entry.command.name, entry.command.args) > 0;
      if (run.length > 0 && (blocking || (run[0] as Queued).decoder !== entry.decoder)) {
        this.#send(run);
        run = [];
      }
      if (blocking) this.#alone(entry);
      else run.push(entry);
    }
    this.#send(run);
  }

  #send(run: readonly Queued[]): void {
    if (run.length === 1) this.#alone(run[0] as Queued);
    else if (run.length > 1) this.#together(run);
  }

  #alone(entry: Queued): void {
    this.#customCommand(entry.args, entry.decoder).then(entry.resolve, entry.reject);
  }

  #customCommand(args: Array<string | Buffer>, decoder: Decoder): Promise<unknown> {
    try {
      return this.#client.customCommand(args, decoder === Decoder.String ? TEXT : BYTES);
    } catch (error) {
      return Promise.reject(refusedBeforeSending(error));
    }
  }

  #together(entries: readonly Queued[]): void {
    const batch = new Batch(false);
    for (const entry of entries) batch.customCommand(entry.args);
    let sent: Promise<unknown>;
    try {
      // raiseOnError false: a command's error reply stays in its place; the others keep their replies.
      sent = this.#client.exec(batch, false, { decoder: (entries[0] as Queued).decoder });
    } catch (error) {
      sent = Promise.reject(refusedBeforeSending(error));
    }
    sent.then(
      (replies) => {
        if (!Array.isArray(replies) || replies.length !== entries.length) {
          const error = new Error(`valkey-glide: a batch of ${entries.length} commands came back with ${Array.isArray(replies) ? replies.length : String(replies)} replies`);
          for (const entry of entries) entry.reject(error);
          return;
        }
        for (let index = 0; index < entries.length; index++) {
          const entry = entries[index] as Queued;
          const reply: unknown = replies[index];
          // GLIDE marks a command's own failure as a RequestError in its place (an Error, never a reply value).
          if (reply instanceof Error) entry.reject(reply);
          else entry.resolve(reply);
        }
      },
      (error: unknown) => {
        for (const entry of entries) entry.reject(error);
      },
    );
  }
}
