export { cdcInfoCommand, type CdcLogInfo } from './info.js';
export {
  cdcPollBinaryCommand,
  cdcPollCommand,
  cdcPollWithNextBinaryCommand,
  cdcPollWithNextCommand,
  decodeChangeEvent,
  type CdcPollBatch,
  type CdcPollCommandOptions,
} from './poll.js';
export { cdcSubscribeCommand, type CdcSubscribeCommandOptions } from './subscribe.js';
export { cdcUnsubscribeCommand } from './unsubscribe.js';
