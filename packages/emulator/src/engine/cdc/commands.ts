import type { CommandSpec, ExecutionContext } from '../command.js';
import { parseInt64 } from '../commands/arguments.js';
import { matchGlob } from '../glob.js';
import { CommandError, NULL, array, binary, bulk, integer, map } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { ChangeLog } from './change-log.js';
import type { ChangeEvent } from './change-log.js';
import { positionExpired, takeEvents, waitForEvents } from './poll.js';
import type { EventMatcher } from './poll.js';
import { subscriptionRegistryFor } from './subscriptions.js';
import type { Subscription, SubscriptionRegistry } from './subscriptions.js';

const DEFAULT_COUNT = 100;
const MAX_COUNT = 10000;

function changeLogOf(context: ExecutionContext): ChangeLog {
  if (!(context.changeLog instanceof ChangeLog)) throw new CommandError('ERR CDC is not available on this server');
  return context.changeLog;
}

function registryOf(context: ExecutionContext): SubscriptionRegistry {
  const registry = subscriptionRegistryFor(context.changeLog);
  // Once per connection: its subscriptions end with it.
  context.session.extension('cdc', () => {
    const sessionId = context.session.id;
    context.session.onClose(() => registry.removeAllOwnedBy(sessionId));
    return true;
  });
  return registry;
}

function matcherFor(subscription: Subscription): EventMatcher {
  const { pattern, ops } = subscription;
  return (event) => (ops === undefined || ops.has(event.op)) && matchGlob(pattern, event.key);
}

/** Field names are the same in every event; one shared reply each keeps large polls cheap. */
const EVENT_FIELDS = {
  id: bulk('id'),
  timestamp: bulk('timestamp'),
  db: bulk('db'),
  op: bulk('op'),
  key: bulk('key'),
  value: bulk('value'),
} as const;

function eventReply(event: ChangeEvent): EngineReply {
  return map([
    [EVENT_FIELDS.id, integer(event.id)],
    [EVENT_FIELDS.timestamp, integer(event.timestamp)],
    [EVENT_FIELDS.db, integer(event.db)],
    [EVENT_FIELDS.op, bulk(event.op)],
    [EVENT_FIELDS.key, binary(event.key)],
    [EVENT_FIELDS.value, event.value === null ? NULL : bulk(event.value)],
  ]);
}

function startPosition(log: ChangeLog, from: Buffer | undefined): number {
  const keyword = from?.toString('latin1').toUpperCase();
  if (from === undefined || keyword === 'LATEST') return log.lastId + 1;
  if (keyword === 'EARLIEST') return log.lastId === 0 ? 1 : log.firstId;
  const id = parseInt64(from);
  if (id === undefined) throw new CommandError('ERR syntax error');
  if (id < 0n) throw new CommandError('ERR value is not an integer or out of range');
  if (log.hasDiscarded && id < BigInt(log.firstId)) throw positionExpired(log.firstId);
  // Ids beyond 2^53 are never reached; cap them so the position stays an exact number.
  return Math.max(1, Number(id > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : id));
}

/**
 * A pattern the matcher cannot run must fail CDC.SUBSCRIBE, where the caller sees it, and never
 * leave a subscription behind that errors on every poll. One trial match runs every code path of
 * the pattern (each token is read at least once against a subject of its own length).
 */
function assertUsablePattern(pattern: string): void {
  try {
    matchGlob(pattern, pattern.length === 0 ? '' : 'x'.repeat(pattern.length));
  } catch (error) {
    throw new CommandError(`ERR invalid pattern: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function subscribe(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [patternArg, ...options] = args as [Buffer, ...Buffer[]];
  let ops: Set<string> | undefined;
  let from: Buffer | undefined;
  for (let i = 0; i < options.length; ) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    if (option === 'EVENTS') {
      ops = new Set();
      i++;
      while (i < options.length && (options[i] as Buffer).toString('latin1').toUpperCase() !== 'FROM') {
        ops.add((options[i] as Buffer).toString('latin1').toUpperCase());
        i++;
      }
      if (ops.size === 0) throw new CommandError('ERR syntax error');
    } else if (option === 'FROM' && i + 1 < options.length) {
      from = options[i + 1];
      i += 2;
    } else {
      throw new CommandError('ERR syntax error');
    }
  }
  const log = changeLogOf(context);
  const position = startPosition(log, from);
  const pattern = patternArg.toString('latin1');
  assertUsablePattern(pattern);
  const subscription = registryOf(context).create(context.session.id, pattern, ops, position);
  return integer(subscription.id);
}

function ownedSubscription(context: ExecutionContext, idArg: Buffer): Subscription {
  const id = parseInt64(idArg);
  const subscription = id === undefined ? undefined : registryOf(context).owned(Number(id), context.session.id);
  if (subscription === undefined) throw new CommandError(`ERR no such CDC subscription: ${idArg.toString('utf8')}`);
  return subscription;
}

async function poll(context: ExecutionContext, args: readonly Buffer[]): Promise<EngineReply> {
  const [idArg, ...options] = args as [Buffer, ...Buffer[]];
  const subscription = ownedSubscription(context, idArg);
  let count = DEFAULT_COUNT;
  let blockMs: number | undefined;
  for (let i = 0; i < options.length; i += 2) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    const argument = options[i + 1];
    if (argument === undefined || (option !== 'COUNT' && option !== 'BLOCK')) throw new CommandError('ERR syntax error');
    const value = parseInt64(argument);
    if (option === 'COUNT') {
      if (value === undefined || value < 1n || value > BigInt(MAX_COUNT)) {
        throw new CommandError(`ERR COUNT must be an integer between 1 and ${MAX_COUNT}`);
      }
      count = Number(value);
    } else {
      if (value === undefined) throw new CommandError('ERR timeout is not an integer or out of range');
      if (value < 0n) throw new CommandError('ERR timeout is negative');
      blockMs = Number(value);
    }
  }
  const log = changeLogOf(context);
  const matches = matcherFor(subscription);
  const events =
    blockMs === undefined
      ? takeEvents(log, subscription, count, matches)
      : await waitForEvents(log, subscription, matches, { count, timeoutMs: blockMs, signal: context.signal });
  return array(events.map(eventReply));
}

function unsubscribe(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const registry = registryOf(context);
  let removed = 0;
  for (const idArg of args) {
    const id = parseInt64(idArg);
    if (id !== undefined && registry.remove(Number(id), context.session.id)) removed++;
  }
  return integer(removed);
}

function info(context: ExecutionContext): EngineReply {
  const log = changeLogOf(context);
  return map([
    [bulk('first_id'), integer(log.firstId)],
    [bulk('last_id'), integer(log.lastId)],
    [bulk('retained'), integer(log.retained)],
    [bulk('capacity'), integer(log.capacity)],
    [bulk('subscriptions'), integer(subscriptionRegistryFor(context.changeLog).size)],
  ]);
}

const keyless = { firstKey: 0, lastKey: 0, step: 0 } as const;

/** docs/protocol.md#change-data-capture. Node-local, no keys. Handlers receive the arguments after the command name. */
export const cdcCommands: readonly CommandSpec[] = [
  { name: 'CDC.SUBSCRIBE', arity: -2, flags: ['noscript', 'loading', 'stale'], ...keyless, handler: subscribe },
  { name: 'CDC.POLL', arity: -2, flags: ['readonly', 'noscript', 'blocking', 'loading', 'stale'], ...keyless, handler: poll },
  { name: 'CDC.UNSUBSCRIBE', arity: -2, flags: ['noscript', 'fast', 'loading', 'stale'], ...keyless, handler: unsubscribe },
  { name: 'CDC.INFO', arity: 1, flags: ['readonly', 'fast', 'loading', 'stale'], ...keyless, handler: info },
];
