export { crdt, type CrdtApi } from './plugin.js';
export type { CrdtCounter, CrdtCounterOptions, CrdtIncrOptions } from './counter.js';
export type { CrdtSet } from './set.js';
export {
  CrdtIndeterminateError,
  CrdtOverflowError,
  CrdtTypeError,
  CrdtUnsafeIntegerError,
  type CrdtIndeterminateDetails,
} from './errors.js';
export { newCrdtOpId } from './op-id.js';
export {
  crdtCounterGetCommand,
  crdtCounterIncrCommand,
  crdtSetAddCommand,
  crdtSetMembersCommand,
  crdtSetRemoveCommand,
} from './commands/index.js';
