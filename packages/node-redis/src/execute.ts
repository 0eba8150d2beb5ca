import {
  FerriteProtocolError,
  FerriteValidationError,
  isFerriteError,
  type BatchEntry,
  type FerriteError,
  type Reply,
  type WireCommand,
} from '@ferrite/core';
import { settleEach, type TransportLifecycle } from '@ferrite/core/transport';
import { driverTimeoutOf, type NodeConnection, type SendOptions } from './connection.js';
import { translateError } from './errors.js';
import { normaliseReply, ReplyDecoding } from './normalise.js';

function asFerriteError(error: unknown): FerriteError {
  return isFerriteError(error) ? error : new FerriteProtocolError(error instanceof Error ? error.message : String(error));
}

/**
 * node-redis rejects anything but strings and Buffers as it writes, which would read as a
 * connection failure; a caller's mistake gets its own error, before anything is sent.
 * (`toArg` from @ferrite/core turns numbers into text.) Returns the driver's argument list.
 */
function wireArgs(command: WireCommand): Array<string | Buffer> {
  const args = command.args;
  const wire = new Array<string | Buffer>(args.length + 1);
  wire[0] = command.name;
  for (let index = 0; index < args.length; index++) {
    const arg: unknown = args[index];
    if (typeof arg !== 'string' && !Buffer.isBuffer(arg)) {
      throw new FerriteValidationError('args', `${command.name.slice(0, 200)} argument ${index} must be a string or a Buffer (see toArg), got ${typeof arg}`);
    }
    wire[index + 1] = arg;
  }
  return wire;
}

/** Writes a command's arguments (name first) somewhere with the given options. */
export type Sender = (args: ReadonlyArray<string | Buffer>, options: SendOptions) => Promise<unknown>;

/** What every send needs: the transport's lifecycle, and core's signal for this call. */
export interface SendContext {
  readonly lifecycle: TransportLifecycle;
  readonly signal: AbortSignal | undefined;
}

/**
 * Sends one command on this very connection (no driver routing, no redirects followed) and hands
 * over the normalised reply, or rejects with a Ferrite error.
 */
export function execute(connection: NodeConnection, command: WireCommand, context: SendContext): Promise<Reply> {
  return executeWith((args, options) => connection.sendCommand(args, options), driverTimeoutOf(connection.options), command, context, connection.isReady !== true);
}

/**
 * {@link execute} through any sender; `driverTimeoutMs` is the sender's own deadline for unwritten
 * commands. When core stops waiting (its signal) or the transport closes, a command node-redis has
 * not written yet is taken back from its queue (never applied); node-redis itself never resends.
 */
export function executeWith(send: Sender, driverTimeoutMs: number, command: WireCommand, context: SendContext, offline: boolean): Promise<Reply> {
  let args: Array<string | Buffer>;
  try {
    args = wireArgs(command);
  } catch (error) {
    return Promise.reject(error);
  }
  if (offline) return executeQueued(send, driverTimeoutMs, command, args, context);
  const { lifecycle } = context;
  if (lifecycle.closed) return Promise.reject(lifecycle.closedError());
  // A ready connection writes the command at its next write turn, so nothing is left to take
  // back when core's signal could fire (a deadline, an abort after the call began): the signal
  // is not handed to the driver, which saves a listener per call. A call stopped before that
  // is reported as maybe applied, which stays true. One promise per call, settled by the reply
  // or by the transport closing, whichever comes first.
  const decoding = new ReplyDecoding();
  return new Promise<Reply>((resolve, reject) => {
    const handle = lifecycle.watch(reject);
    let sent: Promise<unknown>;
    try {
      sent = send(args, { typeMapping: decoding.typeMapping });
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (raw) => {
        lifecycle.unwatch(handle);
        let reply: Reply;
        try {
          reply = normaliseReply(raw, decoding, { binary: command.binary === true, commandName: command.name });
        } catch (error) {
          reject(asFerriteError(error));
          return;
        }
        resolve(reply);
      },
      (error: unknown) => {
        lifecycle.unwatch(handle);
        reject(translateError(error, command.name, driverTimeoutMs));
      },
    );
  });
}

/** A command queued while the connection is down: core's signal, or closing the transport, takes it back. */
async function executeQueued(send: Sender, driverTimeoutMs: number, command: WireCommand, args: Array<string | Buffer>, context: SendContext): Promise<Reply> {
  const decoding = new ReplyDecoding();
  const withdrawal = new AbortController();
  const withdraw = (): void => withdrawal.abort();
  context.signal?.addEventListener('abort', withdraw, { once: true });
  let raw: unknown;
  try {
    const sent = send(args, { typeMapping: decoding.typeMapping, abortSignal: withdrawal.signal });
    // The withdrawal rejects the call itself; `false` says the lifecycle cannot know that
    // synchronously, and its sweep comes after the rejection.
    raw = await context.lifecycle.track(sent, () => (withdraw(), false));
  } catch (error) {
    throw translateError(error, command.name, driverTimeoutMs);
  } finally {
    context.signal?.removeEventListener('abort', withdraw);
  }
  try {
    return normaliseReply(raw, decoding, { binary: command.binary === true, commandName: command.name });
  } catch (error) {
    throw asFerriteError(error);
  }
}

/**
 * Pipelines `commands` on one connection: node-redis writes every command issued before its next
 * write turn in one go, and replies come back in order. Each entry settles on its own.
 */
export function executeBatch(connection: NodeConnection, commands: readonly WireCommand[], context: SendContext): Promise<BatchEntry[]> {
  return settleEach(
    commands.map((command) => execute(connection, command, context)),
    'node-redis',
  );
}
