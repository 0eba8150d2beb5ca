import { CommandError } from '../reply.js';
import type { ChangeEvent, ChangeLog } from './change-log.js';
import type { Subscription } from './subscriptions.js';

export type EventMatcher = (event: ChangeEvent) => boolean;

/** setTimeout's ceiling (about 24.8 days); longer BLOCKs are cut to it. */
const MAX_TIMER_MS = 2_147_483_647;

export function noSuchSubscription(id: number | string): CommandError {
  return new CommandError(`ERR no such CDC subscription: ${id}`);
}

export function positionExpired(oldest: number): CommandError {
  return new CommandError(`ERR CDC position expired: oldest retained event is ${oldest}`);
}

/**
 * Takes up to `count` matching events from the subscription's position, moving the position past
 * every event returned and past every event scanned that did not match, so a selective pattern
 * never stalls. Throws the expired-position error when events the subscription has not seen yet
 * were discarded.
 */
export function takeEvents(log: ChangeLog, subscription: Subscription, count: number, matches: EventMatcher): ChangeEvent[] {
  if (log.hasDiscarded && subscription.position < log.firstId) throw positionExpired(log.firstId);
  const events: ChangeEvent[] = [];
  const lastId = log.lastId;
  while (events.length < count && subscription.position <= lastId) {
    const event = log.get(subscription.position++);
    if (event !== undefined && matches(event)) events.push(event);
  }
  return events;
}

export interface WaitOptions {
  readonly count: number;
  /** 0 waits until an event matches or `signal` aborts. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * CDC.POLL with BLOCK: replies at once when events are waiting, else wakes on the first matching
 * append. The scan runs in a microtask after an append rather than inside it, so the events of one
 * command (a RENAME, an EXEC) are delivered together and the writer never runs reader code.
 * Resolves empty on timeout, or when `signal` aborts (the connection closed); rejects when the log
 * is replaced whole (the subscription has ended with what it was reading).
 */
export function waitForEvents(log: ChangeLog, subscription: Subscription, matches: EventMatcher, options: WaitOptions): Promise<ChangeEvent[]> {
  const ready = takeEvents(log, subscription, options.count, matches);
  if (ready.length > 0 || options.signal.aborted) return Promise.resolve(ready);
  return new Promise<ChangeEvent[]>((resolve, reject) => {
    let scanScheduled = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const stopListening = log.onAppend(() => {
      if (scanScheduled) return;
      scanScheduled = true;
      queueMicrotask(() => {
        scanScheduled = false;
        // Scanning after the reply is settled would move the position past events nobody receives.
        if (settled) return;
        let events: ChangeEvent[];
        try {
          events = takeEvents(log, subscription, options.count, matches);
        } catch (error) {
          cleanUp();
          reject(error);
          return;
        }
        if (events.length > 0) finish(events);
      });
    });
    const stopWatchingReplace = log.onReplace(() => {
      cleanUp();
      reject(noSuchSubscription(subscription.id));
    });
    const onAbort = () => finish([]);
    function cleanUp(): void {
      settled = true;
      stopListening();
      stopWatchingReplace();
      if (timer !== undefined) clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
    function finish(events: ChangeEvent[]): void {
      cleanUp();
      resolve(events);
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs > 0) timer = setTimeout(() => finish([]), Math.min(options.timeoutMs, MAX_TIMER_MS));
  });
}
