import { fullSync } from './full-sync.js';
import type { ClusterMember, ClusterState } from './topology.js';

/**
 * How a replica takes over: `catch-up` first applies everything its primary sent (a manual
 * `CLUSTER FAILOVER`, which waits for the replica to reach the primary's offset); `force` takes
 * over with what the replica has applied (FORCE, TAKEOVER, and the cluster's own failover of a
 * dead primary): writes it never applied are lost, with their events.
 */
export type TakeoverMode = 'catch-up' | 'force';

/** Makes `replica` a replica of `primary` again from scratch: it drops what it had, and copies everything. */
export function resync(replica: ClusterMember, primary: ClusterMember): void {
  replica.hooks.discardBacklog();
  fullSync(replica.emulator, primary.emulator);
  replica.replicationOffset = primary.replicationOffset;
}

/**
 * Promotes a replica, as a Redis 7 failover does: it takes every slot of its primary under a new
 * config epoch, starts a new epoch of the change log it copied (PROTOCOL.md §8.1: same log id,
 * new events numbered from the last id it copied + 1), and its sibling replicas follow it,
 * resynchronised. The old primary, if alive, becomes its replica and drops what it had not
 * replicated; if dead, it does so when it comes back (`takenOverBy`).
 */
export function promote(state: ClusterState, replica: ClusterMember, mode: TakeoverMode): void {
  const old = replica.primary;
  if (replica.role !== 'replica' || old === undefined) throw new Error(`node ${replica.id} is not a replica`);
  if (mode === 'force') replica.hooks.discardBacklog();
  // A primary applies no replication stream: whatever a test paused ends here.
  replica.hooks.resumeReplication();
  for (const range of state.rangesOf(old)) state.assign(range.start, range.end, replica);
  replica.configEpoch = ++state.currentEpoch;
  replica.role = 'primary';
  replica.primary = undefined;
  replica.emulator.changeLog.beginEpoch();
  replica.replicas = old.replicas.filter((sibling) => sibling !== replica);
  old.replicas = [];
  for (const sibling of replica.replicas) {
    sibling.primary = replica;
    if (sibling.alive) resync(sibling, replica);
  }
  if (old.alive) {
    old.role = 'replica';
    old.primary = replica;
    old.failed = false;
    replica.replicas.push(old);
    resync(old, replica);
  } else {
    old.takenOverBy = replica;
  }
}
