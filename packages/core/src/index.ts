export { toArg, type Arg, type ArgInput } from './args.js';
export { createFerrite, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_MS, type FerriteBase, type FerriteClient, type FerriteOptions } from './client.js';
export type { CallOptions, EffectiveCallOptions } from './call-options.js';
export {
  defineCommand,
  prepareCommand,
  type CommandArgs,
  type CommandDefinition,
  type CommandResult,
  type CommandSpec,
  type DecodeContext,
  type PreparedCommand,
} from './command.js';
export {
  classifyReplyError,
  MAX_QUOTED_CHARS,
  truncateForMessage,
  FerriteAbortError,
  FerriteConnectionError,
  FerriteCrossSlotError,
  FerriteError,
  FerriteProtocolError,
  FerriteReplyError,
  FerriteTimeoutError,
  FerriteUnsupportedError,
  FerriteValidationError,
  isAbortError,
  isConnectionError,
  isCrossSlotError,
  isFerriteError,
  isMaybeApplied,
  isReplyError,
  isTimeoutError,
  isUnsupportedError,
  isValidationError,
  type FerriteErrorCode,
  type FerriteErrorOptions,
  type MaybeAppliedErrorOptions,
  type ReplyErrorKind,
} from './errors.js';
export {
  definePlugin,
  type AnyPlugin,
  type DedicatedContext,
  type FerritePlugin,
  type PluginApi,
  type PluginApis,
  type PluginContext,
  type Settled,
} from './plugin.js';
export {
  readArray,
  readBigInteger,
  readBuffer,
  readFloat,
  readInteger,
  readMap,
  readNullableText,
  readOk,
  readStringRecord,
  readText,
  type Reply,
} from './reply.js';
export { slotOf } from './transport/routing.js';
export { FerriteInexactReplyError } from './transport/inexact-reply.js';
export {
  FERRITE_COMMAND_CHANNEL,
  wrapCommandExecution,
  type CommandExecutionWrapper,
  type FerriteCommandEvent,
  type FerriteCommandOperation,
} from './tracing.js';
export type {
  BatchEntry,
  DedicatedOptions,
  DedicatedTransport,
  ProtocolVersion,
  Transport,
  TransportNode,
  TransportSendOptions,
  TransportServer,
  TransportTopology,
  WireCommand,
} from './transport.js';
export { decodeVector, encodeVector, type EncodeVectorOptions, type VectorInput } from './vector-codec.js';
