import { FerriteValidationError, type BatchEntry, type Reply, type TransportSendOptions, type WireCommand } from '@ferrite/core';
import { asFerriteError, settleEach, type TransportLifecycle } from '@ferrite/core/transport';
import { driverTimeoutOf, type NodeConnection } from './connection.js';
import { translateError } from './errors.js';
import { normaliseReply, ReplyDecoding } from './normalise.js';

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

/** What every send needs: the transport's lifecycle, and core's signal for this call. */
export interface SendContext {
  readonly lifecycle: TransportLifecycle;
  /** Core's options for this call; its `signal` is read only when a command waits for a connection (core makes it on first read). */
  readonly options: TransportSendOptions | undefined;
}

/** The key every command's options carry on the fast path; its value is replaced per command. */
const PER_COMMAND_MAPPING = {};

/**
 * How commands reach one node-redis connection. node-redis merges each command's options into the
 * client's (`{ ...commandOptions, ...options }`): adding a key the client's options lack makes
 * that merge V8's slow path, measured at half node-redis' throughput. So ready-path commands go
 * through a view of the client (`withCommandOptions`) whose options already have every key they
 * set (`typeMapping`, and `timeout` cleared: see {@link executeOn}).
 */
export class NodeRedisSender {
  readonly #connection: NodeConnection;
  readonly #ready: NodeConnection;

  constructor(connection: NodeConnection) {
    this.#connection = connection;
    this.#ready = connection.withCommandOptions({ timeout: undefined, typeMapping: PER_COMMAND_MAPPING });
  }

  /** node-redis' deadline for commands it has not written (those sent while it reconnects). */
  get driverTimeoutMs(): number {
    return driverTimeoutOf(this.#connection.options);
  }

  /** Whether a command sent now is written at node-redis' next write turn. */
  get ready(): boolean {
    return this.#connection.isReady === true;
  }

  /** Sends on a ready connection: no driver timeout, the reply decoded with `decoding`. */
  sendReady(args: ReadonlyArray<string | Buffer>, decoding: ReplyDecoding): Promise<unknown> {
    return this.#ready.sendCommand(args, { typeMapping: decoding.typeMapping });
  }

  /** Sends while the connection is down: the driver's timeout applies, and `signal` takes it back. */
  sendQueued(args: ReadonlyArray<string | Buffer>, decoding: ReplyDecoding, signal: AbortSignal): Promise<unknown> {
    return this.#connection.sendCommand(args, { typeMapping: decoding.typeMapping, abortSignal: signal });
  }
}

/**
 * Sends one command on this very connection (no driver routing, no redirects followed) and hands
 * over the normalised reply, or rejects with a Ferrite error. When core stops waiting (its signal)
 * or the transport closes, a command node-redis has not written yet is taken back from its queue
 * (never applied); node-redis itself never resends.
 */
export function executeOn(sender: NodeRedisSender, command: WireCommand, context: SendContext): Promise<Reply> {
  let args: Array<string | Buffer>;
  try {
    args = wireArgs(command);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!sender.ready) return executeQueued(sender, command, args, context);
  const { lifecycle } = context;
  if (lifecycle.closed) return Promise.reject(lifecycle.closedError());
  // A ready connection writes the command at its next write turn, so nothing is left to take
  // back when core's signal could fire (a deadline, an abort after the call began): the signal
  // is not handed to the driver, which saves a listener per call, and neither is a timeout,
  // which would cost node-redis an `AbortSignal.timeout` per command (most of its own cost per
  // call) for a command about to be written; core's deadline covers the call. A call stopped
  // before the write is reported as maybe applied, which stays true. One promise per call,
  // settled by the reply or by the transport closing, whichever comes first.
  const decoding = new ReplyDecoding();
  return new Promise<Reply>((resolve, reject) => {
    const handle = lifecycle.watch(reject);
    let sent: Promise<unknown>;
    try {
      sent = sender.sendReady(args, decoding);
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
          reject(asFerriteError(error, 'node-redis'));
          return;
        }
        resolve(reply);
      },
      (error: unknown) => {
        lifecycle.unwatch(handle);
        reject(translateError(error, command.name, sender.driverTimeoutMs));
      },
    );
  });
}

/** A command queued while the connection is down: core's signal, or closing the transport, takes it back. */
async function executeQueued(sender: NodeRedisSender, command: WireCommand, args: Array<string | Buffer>, context: SendContext): Promise<Reply> {
  const decoding = new ReplyDecoding();
  const withdrawal = new AbortController();
  const withdraw = (): void => withdrawal.abort();
  context.options?.signal?.addEventListener('abort', withdraw, { once: true });
  let raw: unknown;
  try {
    const sent = sender.sendQueued(args, decoding, withdrawal.signal);
    // The withdrawal rejects the call itself; `false` says the lifecycle cannot know that
    // synchronously, and its sweep comes after the rejection.
    raw = await context.lifecycle.track(sent, () => (withdraw(), false));
  } catch (error) {
    throw translateError(error, command.name, sender.driverTimeoutMs);
  } finally {
    context.options?.signal?.removeEventListener('abort', withdraw);
  }
  try {
    return normaliseReply(raw, decoding, { binary: command.binary === true, commandName: command.name });
  } catch (error) {
    throw asFerriteError(error, 'node-redis');
  }
}

/**
 * Pipelines `commands` on one connection: node-redis writes every command issued before its next
 * write turn in one go, and replies come back in order. Each entry settles on its own.
 */
export function executeBatch(sender: NodeRedisSender, commands: readonly WireCommand[], context: SendContext): Promise<BatchEntry[]> {
  return settleEach(
    commands.map((command) => executeOn(sender, command, context)),
    'node-redis',
  );
}
