export { crdtCounterGetCommand } from './counter-get.js';
export { crdtCounterIncrCommand } from './counter-incr.js';
export { crdtSetAddCommand } from './set-add.js';
export { crdtSetMembersCommand } from './set-members.js';
export { crdtSetRemoveCommand } from './set-remove.js';
