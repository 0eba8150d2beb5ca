import type { ProtocolVersion } from '@ferrite/core';
import type { Redis, RedisOptions } from 'ioredis';

/**
 * The decoder settings the transport needs. `stringNumbers` is the only way ioredis delivers
 * integers above 2^53 exactly; `replyMapping: 'resp3'` is the only way to tell a RESP3 map from
 * an array (the default `'legacy'` flattens maps).
 */
export function decoderOptions(protocol: ProtocolVersion): Partial<RedisOptions> {
  return { stringNumbers: true, replyMapping: protocol === 3 ? 'resp3' : 'legacy' };
}

/**
 * Whether the transport may use a client the user configured as it is: it decodes replies as the
 * transport needs, and never resends a command after a reconnect (ioredis' default does, which
 * would apply a lost `INCR` twice).
 */
export function usableAsIs(options: RedisOptions): boolean {
  const protocol = requestedProtocol(options);
  return options.stringNumbers === true && (protocol === 2 || options.replyMapping === 'resp3') && options.autoResendUnfulfilledCommands === false;
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
