import type { EmulatorClusterNode, RunningEmulatorCluster } from '@ferrite/emulator';

/**
 * Node timeout of the clusters failover tests start: short, so an automatic promotion after a
 * kill takes well under a second, and still long enough that a loaded machine does not flag a
 * live node as failed.
 */
export const FAILOVER_NODE_TIMEOUT_MS = 300;

/** The live replica that follows `primary` now (the emulator clusters failover tests start have one per primary). */
export function replicaOf(cluster: RunningEmulatorCluster, primary: EmulatorClusterNode): EmulatorClusterNode {
  const replica = cluster.nodes.find((node) => node.alive && node.role === 'replica' && node.primaryId === primary.id);
  if (replica === undefined) throw new Error(`primary ${primary.id} has no live replica`);
  return replica;
}

/** Polls `read` until `done` holds for its value, or rejects after `timeoutMs` naming `what`. */
export async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Handles that keep a process alive (sockets, servers, timers), counted by kind: take it before a
 * test opens anything, and again after it closed everything, to show nothing of its clients or
 * cluster is left running.
 */
export function liveHandles(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout').length;
}

/**
 * Fails over `primary` by hand to its replica, as `CLUSTER FAILOVER` without `FORCE`: the replica
 * first applies everything its primary sent, so no acknowledged write is lost, then takes its
 * slots (the old primary becomes its replica). Returns the new primary.
 */
export function failOver(cluster: RunningEmulatorCluster, primary: EmulatorClusterNode): EmulatorClusterNode {
  const replica = replicaOf(cluster, primary);
  cluster.failover(replica.id);
  if (replica.role !== 'primary' || primary.primaryId !== replica.id) throw new Error(`the failover of ${primary.id} to ${replica.id} did not happen`);
  return replica;
}
