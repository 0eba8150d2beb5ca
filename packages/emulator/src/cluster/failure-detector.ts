import { promote } from './failover.js';
import type { ClusterMember, ClusterState } from './topology.js';

/**
 * What the nodes of a Redis cluster work out by gossip, for the emulator's nodes (which share one
 * configuration): a node that stopped answering is flagged `fail` after `nodeTimeout`, and a failed
 * primary that serves slots is replaced by its live replica with the largest replication offset
 * `min(500, nodeTimeout)` ms later (Redis' minimum election delay). Timers do not keep the process
 * alive, and {@link stop} ends them.
 */
export class FailureDetector {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Bumped when a node goes down or comes back: a timer armed for an older state does nothing. */
  private readonly generations = new Map<ClusterMember, number>();
  private readonly electionDelay: number;

  constructor(private readonly state: ClusterState) {
    this.electionDelay = Math.min(500, state.nodeTimeout);
  }

  /** A node stopped answering (killed): flag it, then fail it over, unless it comes back first. */
  nodeDown(member: ClusterMember): void {
    const generation = this.nextGeneration(member);
    this.after(this.state.nodeTimeout, () => {
      if (this.generations.get(member) !== generation) return;
      member.failed = true;
      this.after(this.electionDelay, () => {
        if (this.generations.get(member) === generation) this.failOver(member);
      });
    });
  }

  /** A node answers again (restarted) or left the cluster: whatever was armed for it is void. */
  nodeBack(member: ClusterMember): void {
    this.nextGeneration(member);
    member.failed = false;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private failOver(dead: ClusterMember): void {
    if (dead.alive || dead.role !== 'primary' || this.state.rangesOf(dead).length === 0) return;
    const best = dead.replicas.filter((replica) => replica.alive).sort((a, b) => b.replicationOffset - a.replicationOffset)[0];
    if (best !== undefined) promote(this.state, best, 'force');
  }

  private nextGeneration(member: ClusterMember): number {
    const generation = (this.generations.get(member) ?? 0) + 1;
    this.generations.set(member, generation);
    return generation;
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
