import { describe, expect, it } from 'vitest';
import { ChangeLog } from './change-log.js';
import { SubscriptionRegistry, subscriptionRegistryFor } from './subscriptions.js';

const logWith = (capacity: number) => ({ log: new ChangeLog({ capacity, now: () => 0 }) });

describe('SubscriptionRegistry', () => {
  it('gives server-wide ids and lets only the owner use or end a subscription', () => {
    const registry = new SubscriptionRegistry();
    const first = registry.create(1, '*', undefined, 1);
    const second = registry.create(2, '*', new Set(['SET']), 1);
    expect([first.id, second.id]).toEqual([1, 2]);
    expect(registry.owned(first.id, 2)).toBeUndefined();
    expect(registry.remove(first.id, 2)).toBe(false);
    expect(registry.remove(first.id, 1)).toBe(true);
    registry.create(2, '*', undefined, 1);
    registry.removeAllOwnedBy(2);
    expect(registry.size).toBe(0);
  });

  it('keeps one registry per change log', () => {
    const a = logWith(1).log;
    const b = logWith(1).log;
    expect(subscriptionRegistryFor(a)).toBe(subscriptionRegistryFor(a));
    expect(subscriptionRegistryFor(a)).not.toBe(subscriptionRegistryFor(b));
  });
});
