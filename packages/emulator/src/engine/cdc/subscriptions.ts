import type { ChangeLogView } from '../command.js';

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

  removeAllOwnedBy(sessionId: number): void {
    for (const [id, subscription] of this.subscriptions) if (subscription.ownerSessionId === sessionId) this.subscriptions.delete(id);
  }

  get size(): number {
    return this.subscriptions.size;
  }
}

const registries = new WeakMap<ChangeLogView, SubscriptionRegistry>();

/**
 * The registry of the server that owns `changeLog`. Keyed on the log because the log is the one
 * server-wide object every handler can reach; two emulators in one process never share one.
 */
export function subscriptionRegistryFor(changeLog: ChangeLogView): SubscriptionRegistry {
  let registry = registries.get(changeLog);
  if (registry === undefined) {
    registry = new SubscriptionRegistry();
    registries.set(changeLog, registry);
  }
  return registry;
}
