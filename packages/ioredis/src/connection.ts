import type { ProtocolVersion, WireCommand } from '@ferrite/core';
import { Command, type Pipeline, type Redis, type RedisOptions } from 'ioredis';
import { FerriteConnectionError } from '@ferrite/core';

/**
 * The decoder settings the transport needs. `stringNumbers` is the only way ioredis delivers
 * integers above 2^53 exactly; `replyMapping: 'resp3'` is the only way to tell a RESP3 map from
 * an array (the default `'legacy'` flattens maps).
 */
export function decoderOptions(protocol: ProtocolVersion): Partial<RedisOptions> {
  return { stringNumbers: true, replyMapping: protocol === 3 ? 'resp3' : 'legacy' };
}

/** Whether a client the user configured already decodes replies as the transport needs. */
export function decodesForTransport(options: RedisOptions): boolean {
  const protocol = requestedProtocol(options);
  return options.stringNumbers === true && (protocol === 2 || options.replyMapping === 'resp3');
}

export function requestedProtocol(options: RedisOptions): ProtocolVersion {
  return options.protocol === 2 ? 2 : 3;
}

/**
 * Options for a connection the transport opens itself. `autoResendUnfulfilledCommands` is off:
 * after a reconnect ioredis would otherwise send in-flight commands again, and a non-idempotent
 * one (a counter increment) would be applied twice. Such commands fail with a connection error
 * instead, which says "may or may not have been applied".
 */
export function ownConnectionOptions(options: RedisOptions): Partial<RedisOptions> {
  return { ...decoderOptions(requestedProtocol(options)), autoResendUnfulfilledCommands: false };
}

/** The protocol a connection speaks: what the handshake settled, else what was asked for. */
export function protocolOf(connection: Redis): ProtocolVersion {
  return connection.condition?.protocol ?? requestedProtocol(connection.options);
}

/**
 * The command as ioredis' own `Command`, replies left undecoded (Buffers). Handing it to
 * `sendCommand` rather than calling `callBuffer` keeps it off ioredis 6's auto-pipelining, which
 * crashes the process on `call`/`callBuffer` (it drops the command name), and away from
 * `keyPrefix`, which ioredis would apply to the commands it knows only.
 */
function driverCommand(command: WireCommand): Command {
  return new Command(command.name, command.args.slice(), { replyEncoding: null });
}

/** Sends one command on this very connection (never re-routed by the driver). */
export function sendOn(connection: Redis, command: WireCommand): Promise<unknown> {
  const pending = driverCommand(command);
  connection.sendCommand(pending);
  return pending.promise;
}

/** Pipelines commands on one connection: one `[error, reply]` pair per command, in order. */
export async function pipelineOn(connection: Redis, commands: readonly WireCommand[]): Promise<Array<[Error | null, unknown]>> {
  // ioredis types `pipeline()` as its chainable command set; the object is a `Pipeline`.
  const pipeline = connection.pipeline() as unknown as Pipeline;
  for (const command of commands) pipeline.sendCommand(driverCommand(command));
  const results = await pipeline.exec();
  if (!results) throw new FerriteConnectionError('ioredis: the pipeline was discarded');
  return results;
}

/** Resolves once the connection is ready; connects a lazy one. */
export async function whenReady(connection: Redis): Promise<void> {
  if (connection.status === 'ready') return;
  if (connection.status === 'wait') {
    await connection.connect();
    return;
  }
  if (connection.status === 'end') throw new FerriteConnectionError('ioredis: the connection is closed');
  await new Promise<void>((resolve, reject) => {
    const onReady = () => (connection.off('end', onEnd), resolve());
    const onEnd = () => (connection.off('ready', onReady), reject(new FerriteConnectionError('ioredis: the connection ended before it was ready')));
    connection.once('ready', onReady);
    connection.once('end', onEnd);
  });
}

interface Closable {
  readonly status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
  once(event: 'end', listener: () => void): unknown;
}

/**
 * Closes a client: a ready one lets pending replies arrive first (QUIT); one that is not connected
 * (lazy, or reconnecting to a server that is down) is disconnected at once, as QUIT would wait for
 * the server. Resolves once ioredis reports the client ended, so `status` is final afterwards.
 */
export async function closeClient(client: Closable): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  if (client.status === 'ready') {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  } else {
    client.disconnect();
  }
  if (client.status !== 'end') await ended;
}

/**
 * A connection of the transport's own, duplicated from `source` (same address, auth, TLS,
 * database, protocol) with the decoder settings the transport needs.
 */
export function duplicateConnection(source: Redis, overrides: Partial<RedisOptions> = {}): Redis {
  const connection = source.duplicate({ ...ownConnectionOptions(source.options), ...overrides });
  // Failures reach the caller through the commands; without a listener ioredis logs every
  // reconnect attempt as an unhandled error event.
  connection.on('error', () => {});
  return connection;
}
