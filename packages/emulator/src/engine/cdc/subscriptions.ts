import type { ChangeLog } from './change-log.js';

export interface Subscription {
  readonly id: number;
  /** The session that created it; only that session may poll or end it. */
  readonly ownerSessionId: number;
  /** Glob over keys (latin1), KEYS syntax. */
  readonly pattern: string;
  /** Upper-case ops to keep, or undefined for all. */
  readonly ops: ReadonlySet<string> | undefined;
  /** The next event id to scan. */
  position: number;
}

/** Every live subscription on the server, so ids are unique server-wide and CDC.INFO can count them. */
export class SubscriptionRegistry {
  private readonly subscriptions = new Map<number, Subscription>();
  private nextId = 1;

  create(ownerSessionId: number, pattern: string, ops: ReadonlySet<string> | undefined, position: number): Subscription {
    const subscription: Subscription = { id: this.nextId++, ownerSessionId, pattern, ops, position };
    this.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  /** The subscription, when it exists and belongs to this session. */
  owned(id: number, sessionId: number): Subscription | undefined {
    const subscription = this.subscriptions.get(id);
    return subscription?.ownerSessionId === sessionId ? subscription : undefined;
  }

  remove(id: number, sessionId: number): boolean {
    return this.owned(id, sessionId) !== undefined && this.subscriptions.delete(id);
  }

  /** Ends every subscription (the log they read was replaced whole). */
  clear(): void {
    this.subscriptions.clear();
  }

  removeAllOwnedBy(sessionId: number): void {
    for (const [id, subscription] of this.subscriptions) if (subscription.ownerSessionId === sessionId) this.subscriptions.delete(id);
  }

  get size(): number {
    return this.subscriptions.size;
  }
}

const registries = new WeakMap<ChangeLog, SubscriptionRegistry>();

/**
 * The registry of the server that owns `changeLog`. Keyed on the log because the log is the one
 * server-wide object every handler can reach; two emulators in one process never share one.
 * When the log is replaced whole (a node resynchronised as a replica), its subscriptions end:
 * their positions named events that are gone.
 */
export function subscriptionRegistryFor(changeLog: ChangeLog): SubscriptionRegistry {
  let registry = registries.get(changeLog);
  if (registry === undefined) {
    const created = new SubscriptionRegistry();
    changeLog.onReplace(() => created.clear());
    registries.set(changeLog, created);
    registry = created;
  }
  return registry;
}
