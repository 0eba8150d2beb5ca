import type { WireCommand } from '@ferrite/core';
import { FerriteConnectionError } from '@ferrite/core';
import { Command, type Pipeline, type Redis } from 'ioredis';

/**
 * The command as ioredis' own `Command`, replies left undecoded (Buffers). Handing it to
 * `sendCommand` rather than calling `callBuffer` keeps it off ioredis 6's auto-pipelining, which
 * crashes the process on `call`/`callBuffer` (it drops the command name), and away from
 * `keyPrefix`, which ioredis would apply to the commands it knows only.
 */
export function driverCommand(command: WireCommand): Command {
  return new Command(command.name, command.args.slice(), { replyEncoding: null });
}

/** Sends one command on this very connection (never re-routed by the driver). */
export function sendOn(connection: Redis, pending: Command): Promise<unknown> {
  connection.sendCommand(pending);
  return pending.promise;
}

/** Pipelines commands on one connection: one `[error, reply]` pair per command, in order. */
export async function pipelineOn(connection: Redis, commands: readonly Command[]): Promise<Array<[Error | null, unknown]>> {
  // ioredis types `pipeline()` as its chainable command set; the object is a `Pipeline`.
  const pipeline = connection.pipeline() as unknown as Pipeline;
  for (const command of commands) pipeline.sendCommand(command);
  const results = await pipeline.exec();
  if (!results) throw new FerriteConnectionError('ioredis: the pipeline was discarded');
  return results;
}
