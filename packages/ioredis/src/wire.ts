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
  // ioredis copies the arguments itself (`args.flat()`), so the caller's array is never changed.
  return new Command(command.name, command.args as Array<string | Buffer>, { replyEncoding: null });
}

/**
 * The writes of one connection in the current turn of the event loop: the socket written to
 * (unset between turns), and whether it is corked for the rest of the turn. Kept in the
 * connection's own record (see `in-flight.ts`), so a write costs no extra lookup.
 */
export class WriteTurn {
  stream: Redis['stream'] | undefined = undefined;
  corked = false;
}

function endTurn(turn: WriteTurn): void {
  const { stream, corked } = turn;
  turn.stream = undefined;
  turn.corked = false;
  if (corked && stream) stream.uncork();
}

/**
 * ioredis writes every command to its socket at once: one system call per command, most of the
 * time a call costs under load. A command sent while no other is in flight on the connection
 * (calls made one at a time) goes out at once and marks nothing. Otherwise the first command of a
 * turn of the event loop still goes out at once (the server starts on it while the turn goes on);
 * the socket is then corked until the calls made in that turn are done (`process.nextTick` runs
 * after the promise continuations queued now), so the rest go out together in one write, as
 * node-redis does.
 */
function coalesceWrites(connection: Redis, turn: WriteTurn, lone: boolean): void {
  if (lone && turn.stream === undefined) return;
  const stream = connection.stream;
  if (connection.status !== 'ready' || !stream) return;
  if (turn.stream === undefined) {
    turn.stream = stream;
    process.nextTick(endTurn, turn);
  } else if (!turn.corked && turn.stream === stream) {
    turn.corked = true;
    stream.cork();
  }
}

/**
 * Sends one command on this very connection (never re-routed by the driver). `lone`: no other
 * command of the transport's is in flight on the connection.
 */
export function sendOn(connection: Redis, pending: Command, turn: WriteTurn, lone: boolean): Promise<unknown> {
  coalesceWrites(connection, turn, lone);
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
