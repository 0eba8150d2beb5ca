/**
 * The transport kit: what every Ferrite transport needs, for transport authors. Applications use
 * the main entry point of `@ferrite/core`. A transport over a new driver supplies only what is
 * specific to it: sending one command and one pipeline on one connection, decoding its replies
 * into a `Reply` (see `normalise`), and opening connections; the kit does the rest.
 *
 * @module
 */
export { messageOf, settleEach } from './batch.js';
export {
  ClusterTransport,
  readFromOption,
  type ClusterDedicatedOptions,
  type ClusterDriver,
  type ClusterRoute,
  type ClusterTransportOptions,
  type ReadFrom,
} from './cluster.js';
export { notApplied, redirectOf, type Redirect } from './not-applied.js';
export { withDeadline } from './deadline.js';
export { within } from '../within.js';
export { backoffDelay, sleep } from '../backoff.js';
export { combineSignals } from '../call-options.js';
export { blockingTime } from '../blocking-time.js';
export { doubleLayout, type DoubleLayout } from './double-replies.js';
export { exactInteger } from './inexact-reply.js';
export { primariesFromClusterNodes, type ListedPrimary } from './cluster-nodes-text.js';
export { SlotSet, type Slotted } from '../slot-set.js';
export { asFerriteError, replyErrorFor } from '../errors.js';
export { bigNumberReply, doubleReply, integerReply, INT64_MAX, INT64_MIN, textReply } from './normalise.js';
export { TransportLifecycle, type Closable, type WatchHandle } from './lifecycle.js';
export { SingleNode, unknownNode } from './nodes.js';
export { CLUSTER_SLOTS, CommandKeyResolver, crc16, isReadCommand, scriptKey, slotOf, STANDARD_READ_COMMANDS } from './routing.js';
