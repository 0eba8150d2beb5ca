import type { EngineCommandSpec } from './engine-context.js';
import type { EngineReply } from './reply.js';
import type { Session } from './session.js';

/**
 * What an emulator cluster (src/cluster) plugs into one node's engine. A standalone emulator has
 * none, and then behaves exactly as before.
 */
export interface ClusterHooks {
  /** `master` or `replica`, as HELLO and INFO report it. */
  readonly role: 'master' | 'replica';
  /** CLUSTER, ASKING, READONLY, READWRITE: registered on top of the standalone commands. */
  readonly commands: readonly EngineCommandSpec[];
  /**
   * Runs before a command is queued (MULTI) or run, after arity and AUTH checks, as Redis checks
   * slots in `processCommand`. Returns the error text (`MOVED …`, `ASK …`, `CROSSSLOT …`) that
   * refuses it, or undefined to let it through.
   */
  admit(session: Session, spec: EngineCommandSpec, argv: readonly Buffer[]): string | undefined;
  /** Runs after every command that ran (each command of an EXEC too): replication listens here. */
  executed(session: Session, spec: EngineCommandSpec, argv: readonly Buffer[], reply: EngineReply): void;
  /** The lines of INFO's `# Replication` section. */
  replicationInfo(): string[];
  /** The lines of INFO's `# Errorstats` section (redirects sent, as `errorstat_MOVED:count=3`). */
  errorStats(): string[];
}
