import { FerriteProtocolError, FerriteValidationError, isFerriteError, withDeadline, type BatchEntry, type FerriteError, type Reply, type WireCommand } from '@ferrite/core';
import { driverTimeoutOf, type NodeConnection, type SendOptions } from './connection.js';
import { translateError } from './errors.js';
import { normaliseReply, ReplyDecoding } from './normalise.js';

function asFerriteError(error: unknown): FerriteError {
  return isFerriteError(error) ? error : new FerriteProtocolError(error instanceof Error ? error.message : String(error));
}

/**
 * node-redis rejects anything but strings and Buffers as it writes, which would read as a
 * connection failure; a caller's mistake gets its own error, before anything is sent.
 * (`toArg` from @ferrite/core turns numbers into text.)
 */
function assertWireArgs(command: WireCommand): void {
  command.args.forEach((arg: unknown, index) => {
    if (typeof arg !== 'string' && !Buffer.isBuffer(arg)) {
      throw new FerriteValidationError('args', `${command.name} argument ${index} must be a string or a Buffer (see toArg), got ${typeof arg}`);
    }
  });
}

/** Writes a command's arguments (name first) somewhere with the given options. */
export type Sender = (args: ReadonlyArray<string | Buffer>, options: SendOptions) => Promise<unknown>;

/**
 * Sends one command on this very connection (no driver routing, no redirects followed) and hands
 * over the normalised reply, or rejects with a Ferrite error.
 */
export function execute(connection: NodeConnection, command: WireCommand, commandTimeout: number | undefined): Promise<Reply> {
  return executeWith((args, options) => connection.sendCommand(args, options), driverTimeoutOf(connection.options, commandTimeout), command, commandTimeout);
}

/** {@link execute} through any sender; `driverTimeoutMs` is the sender's own deadline for unwritten commands. */
export async function executeWith(send: Sender, driverTimeoutMs: number, command: WireCommand, commandTimeout: number | undefined): Promise<Reply> {
  assertWireArgs(command);
  const decoding = new ReplyDecoding();
  // With a deadline of ours, the driver drops the command at the same moment if still unwritten.
  const options: SendOptions =
    commandTimeout === undefined ? { typeMapping: decoding.typeMapping } : { typeMapping: decoding.typeMapping, timeout: commandTimeout };
  let raw: unknown;
  try {
    raw = await withDeadline(send([command.name, ...command.args], options), command.name, commandTimeout);
  } catch (error) {
    throw translateError(error, command.name, driverTimeoutMs);
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
export function executeBatch(connection: NodeConnection, commands: readonly WireCommand[], commandTimeout: number | undefined): Promise<BatchEntry[]> {
  return Promise.all(
    commands.map((command) =>
      execute(connection, command, commandTimeout).then(
        (value): BatchEntry => ({ ok: true, value }),
        (error: unknown): BatchEntry => ({ ok: false, error: asFerriteError(error) }),
      ),
    ),
  );
}
