export { cdc, type CdcApi } from './plugin.js';
export { CdcIdRangeError, CdcPositionExpiredError } from './errors.js';
export type { ChangeFeedCheckpoint } from './checkpoint.js';
export {
  cdcInfoCommand,
  cdcPollBinaryCommand,
  cdcPollCommand,
  cdcSubscribeCommand,
  cdcUnsubscribeCommand,
  decodeChangeEvent,
  type CdcLogInfo,
  type CdcPollCommandOptions,
  type CdcSubscribeCommandOptions,
} from './commands/index.js';
export type {
  BinarySubscribeOptions,
  ChangeEvent,
  ChangeFeed,
  ChangeFeedStart,
  ChangeHandler,
  ChangeOp,
  ChangeSubscription,
  KnownChangeOp,
  SubscribeOptions,
  TextSubscribeOptions,
} from './types.js';
