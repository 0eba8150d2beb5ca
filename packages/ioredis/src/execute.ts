import type { BatchEntry, Reply, WireCommand } from '@ferrite/core';
import { FerriteTimeoutError, withDeadline } from '@ferrite/core';
import type { Redis } from 'ioredis';
import { pipelineOn, sendOn } from './wire.js';
import { translateError } from './errors.js';
import { settleWhenDropped } from './in-flight.js';
import { normaliseReply } from './normalise.js';

/** Sends one command on `connection` and hands over the normalised reply or a Ferrite error. */
export async function execute(connection: Redis, command: WireCommand, timeoutMs: number | undefined): Promise<Reply> {
  let raw: unknown;
  try {
    raw = await withDeadline(settleWhenDropped(connection, () => sendOn(connection, command)), command.name, timeoutMs);
  } catch (error) {
    throw translateError(error, command.name, connection.options.commandTimeout);
  }
  return normaliseReply(raw, command);
}

/**
 * Pipelines `commands` on `connection`. A failure of the whole pipeline (connection lost, deadline
 * passed) settles every entry with that error.
 */
export async function executeBatch(connection: Redis, commands: readonly WireCommand[], timeoutMs: number | undefined): Promise<BatchEntry[]> {
  if (commands.length === 0) return [];
  let results: Array<[Error | null, unknown]>;
  try {
    results = await withDeadline(settleWhenDropped(connection, () => pipelineOn(connection, commands)), 'PIPELINE', timeoutMs);
  } catch (error) {
    return commands.map((command) => ({
      ok: false,
      error:
        error instanceof FerriteTimeoutError
          ? new FerriteTimeoutError(command.name, error.timeoutMs)
          : translateError(error, command.name, connection.options.commandTimeout),
    }));
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
