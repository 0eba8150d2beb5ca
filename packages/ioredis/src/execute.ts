import type { BatchEntry, Reply, TransportSendOptions, WireCommand } from '@ferrite/core';
import type { TransportLifecycle } from '@ferrite/core/transport';
import type { Redis } from 'ioredis';
import { driverCommand, pipelineOn, sendOn } from './wire.js';
import { translateError } from './errors.js';
import { runReady, runTracked } from './in-flight.js';
import { writableNow } from './waiting-room.js';
import { normaliseReply } from './normalise.js';

/** What every send on a connection needs: the transport's lifecycle, and core's signal for this call. */
export interface SendContext {
  readonly lifecycle: TransportLifecycle;
  /** Core's options for this call; its `signal` is read only when a command waits for a writable connection (core makes it on first read). */
  readonly options: TransportSendOptions | undefined;
}

/** Sends one command on `connection` and hands over the normalised reply or a Ferrite error. */
export function execute(connection: Redis, command: WireCommand, context: SendContext): Promise<Reply> {
  return executeWith(connection, command, context.lifecycle, context.options);
}

/** {@link execute} with the context's two parts apart, for a caller that would otherwise make the context per call. */
export function executeWith(connection: Redis, command: WireCommand, lifecycle: TransportLifecycle, options: TransportSendOptions | undefined): Promise<Reply> {
  // Checked in the same turn as the write: ioredis must never keep the command for later.
  if (writableNow(connection)) return runReady(connection, command, lifecycle);
  const pending = driverCommand(command);
  const outcome = {
    decode: (raw: unknown): Reply => normaliseReply(raw, command),
    translate: (error: unknown): unknown => translateError(error, command.name, connection.options.commandTimeout),
  };
  return runTracked(connection, (writes, lone) => sendOn(connection, pending, writes, lone), lifecycle, options?.signal, outcome);
}

const PIPELINE_OUTCOME = {
  decode: (results: Array<[Error | null, unknown]>) => results,
  translate: (error: unknown) => error,
};

/**
 * Pipelines `commands` on `connection`. A failure of the whole pipeline (connection lost,
 * withdrawn, transport closed) settles every entry with that error.
 */
export async function executeBatch(connection: Redis, commands: readonly WireCommand[], context: SendContext): Promise<BatchEntry[]> {
  if (commands.length === 0) return [];
  const pending = commands.map(driverCommand);
  let results: Array<[Error | null, unknown]>;
  try {
    results = await runTracked(connection, () => pipelineOn(connection, pending), context.lifecycle, context.options?.signal, PIPELINE_OUTCOME);
  } catch (error) {
    return commands.map((command) => ({ ok: false, error: translateError(error, command.name, connection.options.commandTimeout) }));
  }
  return commands.map((command, index): BatchEntry => {
    const [error, raw] = results[index] ?? [new Error('no reply in the pipeline'), null];
    if (error) return { ok: false, error: translateError(error, command.name, connection.options.commandTimeout) };
    try {
      return { ok: true, value: normaliseReply(raw, command) };
    } catch (nested) {
      return { ok: false, error: translateError(nested, command.name, undefined) };
    }
  });
}
