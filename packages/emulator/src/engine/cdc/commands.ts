import type { CommandSpec, ExecutionContext } from '../command.js';
import { parseInt64 } from '../commands/arguments.js';
import { matchGlob } from '../glob.js';
import { CommandError, NULL, array, binary, bulk, integer, map } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { ChangeLog } from './change-log.js';
import type { ChangeEvent } from './change-log.js';
import { noSuchSubscription, positionExpired, takeEvents, waitForEvents } from './poll.js';
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
  const registry = subscriptionRegistryFor(changeLogOf(context));
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

/** Where a resuming client says it stands (PROTOCOL.md §8.1): the log it read and the epoch of its last event. */
interface ResumeClaim {
  readonly logId: string;
  readonly epoch: bigint;
}

function parseFromId(from: Buffer): bigint {
  const id = parseInt64(from);
  if (id === undefined) throw new CommandError('ERR syntax error');
  if (id < 0n) throw new CommandError('ERR value is not an integer or out of range');
  return id;
}

/**
 * Refuses a resume position this log cannot honour (PROTOCOL.md §8.1): another log, or an id past
 * the end of the client's epoch here — the client saw an event a failover rolled back.
 */
function checkClaim(log: ChangeLog, claim: ResumeClaim, fromId: bigint | undefined): void {
  if (claim.logId !== log.logId) throw new CommandError(`ERR CDC log mismatch: this node serves log ${log.logId}`);
  if (fromId === undefined || claim.epoch >= BigInt(log.epoch)) return;
  const nextEpochStart = log.epochStart(Number(claim.epoch) + 1);
  if (nextEpochStart !== undefined && BigInt(nextEpochStart) <= fromId - 1n) {
    throw new CommandError(`ERR CDC position lost: epoch ${claim.epoch} ends at ${nextEpochStart - 1}`);
  }
}

function startPosition(log: ChangeLog, from: Buffer | undefined, claim: ResumeClaim | undefined): number {
  const keyword = from?.toString('latin1').toUpperCase();
  const fromId = from === undefined || keyword === 'LATEST' || keyword === 'EARLIEST' ? undefined : parseFromId(from);
  if (claim !== undefined) checkClaim(log, claim, fromId);
  if (fromId === undefined) return keyword === 'EARLIEST' ? (log.lastId === 0 ? 1 : log.firstId) : log.lastId + 1;
  if (log.hasDiscarded && fromId < BigInt(log.firstId)) throw positionExpired(log.firstId);
  // Ids beyond 2^53 are never reached; cap them so the position stays an exact number.
  return Math.max(1, Number(fromId > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : fromId));
}

const SUBSCRIBE_KEYWORDS = new Set(['FROM', 'LOG', 'EPOCH']);

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
  let logId: string | undefined;
  let epoch: bigint | undefined;
  for (let i = 0; i < options.length; ) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    const value = options[i + 1];
    if (option === 'EVENTS') {
      ops = new Set();
      i++;
      while (i < options.length && !SUBSCRIBE_KEYWORDS.has((options[i] as Buffer).toString('latin1').toUpperCase())) {
        ops.add((options[i] as Buffer).toString('latin1').toUpperCase());
        i++;
      }
      if (ops.size === 0) throw new CommandError('ERR syntax error');
    } else if (value !== undefined && option === 'FROM') {
      from = value;
      i += 2;
    } else if (value !== undefined && option === 'LOG') {
      logId = value.toString('latin1');
      i += 2;
    } else if (value !== undefined && option === 'EPOCH') {
      epoch = parseInt64(value);
      if (epoch === undefined || epoch < 0n) throw new CommandError('ERR value is not an integer or out of range');
      i += 2;
    } else {
      throw new CommandError('ERR syntax error');
    }
  }
  // LOG and EPOCH name one position together (PROTOCOL.md §8.1): one without the other is a mistake.
  if ((logId === undefined) !== (epoch === undefined)) throw new CommandError('ERR syntax error');
  const log = changeLogOf(context);
  const claim = logId === undefined || epoch === undefined ? undefined : { logId, epoch };
  const position = startPosition(log, from, claim);
  const pattern = patternArg.toString('latin1');
  assertUsablePattern(pattern);
  const subscription = registryOf(context).create(context.session.id, pattern, ops, position);
  return integer(subscription.id);
}

function ownedSubscription(context: ExecutionContext, idArg: Buffer): Subscription {
  const id = parseInt64(idArg);
  const subscription = id === undefined ? undefined : registryOf(context).owned(Number(id), context.session.id);
  if (subscription === undefined) throw noSuchSubscription(idArg.toString('utf8'));
  return subscription;
}

async function poll(context: ExecutionContext, args: readonly Buffer[]): Promise<EngineReply> {
  const [idArg, ...options] = args as [Buffer, ...Buffer[]];
  const subscription = ownedSubscription(context, idArg);
  let count = DEFAULT_COUNT;
  let blockMs: number | undefined;
  let withNext = false;
  for (let i = 0; i < options.length; ) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    if (option === 'WITHNEXT') {
      withNext = true;
      i++;
      continue;
    }
    const argument = options[i + 1];
    if (argument === undefined || (option !== 'COUNT' && option !== 'BLOCK')) throw new CommandError('ERR syntax error');
    i += 2;
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
  const reply = array(events.map(eventReply));
  // The position has moved past everything scanned: saving it keeps a quiet pattern's place (§5 WITHNEXT).
  return withNext ? array([integer(subscription.position), reply]) : reply;
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
    [bulk('subscriptions'), integer(subscriptionRegistryFor(log).size)],
    [bulk('log_id'), bulk(log.logId)],
    [bulk('epoch'), integer(log.epoch)],
    [bulk('epoch_start_id'), integer(log.epochStartId)],
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
