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

/** Sockets corked until the current tick's work is done (see {@link coalesceWrites}). */
const corked = new WeakSet<object>();

function uncork(stream: Redis['stream']): void {
  corked.delete(stream);
  stream.uncork();
}

/**
 * ioredis writes every command to its socket at once: one system call per command, most of the
 * time a call costs under load. Corking the socket until the calls made in this turn of the event
 * loop are done (`process.nextTick` runs after the promise continuations queued now) sends them in
 * one write, as node-redis does; a lone call is written within the same turn, so no latency is
 * added.
 */
function coalesceWrites(connection: Redis): void {
  const stream = connection.stream;
  if (connection.status !== 'ready' || !stream || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  process.nextTick(uncork, stream);
}

/** Sends one command on this very connection (never re-routed by the driver). */
export function sendOn(connection: Redis, pending: Command): Promise<unknown> {
  coalesceWrites(connection);
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
