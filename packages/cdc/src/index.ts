export { cdc, type CdcApi } from './plugin.js';
export { CdcIdRangeError, CdcPositionExpiredError, CdcPositionLostError, type CdcPositionLost, type CdcPositionLostReason } from './errors.js';
export type { ChangeFeedCheckpoint } from './checkpoint.js';
export {
  cdcInfoCommand,
  cdcPollBinaryCommand,
  cdcPollCommand,
  cdcPollWithNextBinaryCommand,
  cdcPollWithNextCommand,
  cdcSubscribeCommand,
  cdcUnsubscribeCommand,
  decodeChangeEvent,
  type CdcLogInfo,
  type CdcPollBatch,
  type CdcPollCommandOptions,
  type CdcSubscribeCommandOptions,
} from './commands/index.js';
export type {
  BinarySubscribeOptions,
  ChangeEvent,
  ChangeFeed,
  ChangeFeedReconnect,
  ChangeFeedStart,
  ChangeHandler,
  ChangeOp,
  ChangeSubscription,
  KnownChangeOp,
  SubscribeOptions,
  TextSubscribeOptions,
} from './types.js';
