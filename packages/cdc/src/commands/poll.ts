import { defineCommand, FerriteProtocolError, readArray, readBigInteger, readBuffer, readInteger, readMap, readText, type Reply } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';
import { CdcIdRangeError } from '../errors.js';
import type { ChangeEvent } from '../types.js';

/** Options of `CDC.POLL` as `cdcPollCommand` encodes them. */
export interface CdcPollCommandOptions {
  /** Most events in the reply (`COUNT`), 1 to 10000. */
  readonly count?: number | undefined;
  /** Wait up to this many ms for a first event (`BLOCK`); `0` waits forever. Absent: reply at once. */
  readonly blockMs?: number | undefined;
}

function readEventId(reply: Reply): number {
  // The common case, an id the driver already gave as a safe integer, costs no BigInt.
  if (typeof reply === 'number' && Number.isSafeInteger(reply)) {
    if (reply < 1) throw new FerriteProtocolError(`CDC event id ${reply} is not positive`);
    return reply;
  }
  const id = readBigInteger(reply);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw new CdcIdRangeError(id);
  if (id < 1n) throw new FerriteProtocolError(`CDC event id ${id} is not positive`);
  return Number(id);
}

/** An event's fields as the server sent them, before they are read. */
interface EventFields {
  id?: Reply;
  timestamp?: Reply;
  db?: Reply;
  op?: Reply;
  key?: Reply;
  value?: Reply;
}

/** A RESP2 flat pair array's event fields, in one pass (no intermediate Map: a feed reads every event through here). */
function pairFields(reply: Reply): EventFields {
  if (!Array.isArray(reply)) return Object.fromEntries(readMap(reply)) as EventFields;
  if (reply.length % 2 !== 0) throw new FerriteProtocolError(`a field/value array has odd length ${reply.length}`);
  const fields: EventFields = {};
  for (let i = 0; i < reply.length; i += 2) {
    const name = readText(reply[i] as Reply);
    // A later server may send more fields: only these are kept.
    if (name === 'id' || name === 'timestamp' || name === 'db' || name === 'op' || name === 'key' || name === 'value') fields[name] = reply[i + 1] as Reply;
  }
  return fields;
}

function present(value: Reply | undefined, name: string): Reply {
  if (value === undefined) throw new FerriteProtocolError(`CDC event without "${name}"`);
  return value;
}

/** Reads one event (a RESP3 map or a RESP2 flat pair array). */
export function decodeChangeEvent(reply: Reply): ChangeEvent<string>;
export function decodeChangeEvent(reply: Reply, binary: true): ChangeEvent<Buffer>;
export function decodeChangeEvent(reply: Reply, binary = false): ChangeEvent<string | Buffer> {
  if (reply instanceof Map) return readEvent(reply.get('id'), reply.get('timestamp'), reply.get('db'), reply.get('op'), reply.get('key'), reply.get('value'), binary);
  const fields = pairFields(reply);
  return readEvent(fields.id, fields.timestamp, fields.db, fields.op, fields.key, fields.value, binary);
}

function readEvent(id: Reply | undefined, timestamp: Reply | undefined, db: Reply | undefined, op: Reply | undefined, key: Reply | undefined, value: Reply | undefined, binary: boolean): ChangeEvent<string | Buffer> {
  const data = present(value, 'value');
  return {
    id: readEventId(present(id, 'id')),
    timestamp: readInteger(present(timestamp, 'timestamp')),
    db: readInteger(present(db, 'db')),
    op: readText(present(op, 'op')),
    key: readText(present(key, 'key')),
    value: data === null ? null : binary ? readBuffer(data) : readText(data),
  };
}

function encodePoll(subscription: number, options: CdcPollCommandOptions = {}) {
  assertInteger(subscription, 'subscription', { min: 1 });
  const args: (string | number)[] = [subscription];
  if (options.count !== undefined) {
    assertInteger(options.count, 'count', { min: 1, max: 10_000 });
    args.push('COUNT', options.count);
  }
  if (options.blockMs !== undefined) {
    assertInteger(options.blockMs, 'blockMs', { min: 0 });
    args.push('BLOCK', options.blockMs);
  }
  return args;
}

/** One `CDC.POLL … WITHNEXT` reply: the events, and the id the subscription examines next. */
export interface CdcPollBatch<Value extends string | Buffer = string> {
  /** One past the last event the server scanned, matching or not (PROTOCOL.md §5, v1.2). */
  readonly next: number;
  readonly events: ChangeEvent<Value>[];
}

function decodeBatch(reply: Reply, binary: boolean): CdcPollBatch<string | Buffer> {
  const [next, events, ...rest] = readArray(reply);
  if (next === undefined || events === undefined || rest.length > 0) throw new FerriteProtocolError('CDC.POLL … WITHNEXT: expected [next id, events]');
  return { next: readEventId(next), events: readArray(events).map((event) => (binary ? decodeChangeEvent(event, true) : decodeChangeEvent(event))) };
}

/** The poll's `BLOCK`, added to its deadline: `BLOCK 0` waits for ever. */
function pollBlockingMs([, options]: readonly [number, CdcPollCommandOptions?]): number {
  const blockMs = options?.blockMs;
  if (blockMs === undefined) return 0;
  return blockMs === 0 ? Infinity : blockMs;
}

/**
 * `CDC.POLL <subscription> [COUNT <n>] [BLOCK <ms>]` → events, oldest first, values as text.
 * Not retryable: a poll moves the subscription past what it returns, so a lost reply loses events
 * on that subscription (a feed resubscribes from its own position instead).
 */
export const cdcPollCommand = defineCommand({
  name: 'CDC.POLL',
  keyIndex: null,
  encode: encodePoll,
  blockingMs: pollBlockingMs,
  decode: (reply): ChangeEvent<string>[] => readArray(reply).map((event) => decodeChangeEvent(event)),
});

/** {@link cdcPollCommand} with values as Buffers, byte for byte. */
export const cdcPollBinaryCommand = defineCommand({
  name: 'CDC.POLL',
  keyIndex: null,
  binary: true,
  encode: encodePoll,
  blockingMs: pollBlockingMs,
  decode: (reply): ChangeEvent<Buffer>[] => readArray(reply).map((event) => decodeChangeEvent(event, true)),
});

/**
 * `CDC.POLL <subscription> [COUNT <n>] [BLOCK <ms>] WITHNEXT` (v1.2) → the events and the id the
 * subscription examines next, so that a saved position moves past other keys' writes too.
 */
export const cdcPollWithNextCommand = defineCommand({
  name: 'CDC.POLL',
  keyIndex: null,
  encode: (subscription: number, options?: CdcPollCommandOptions) => [...encodePoll(subscription, options), 'WITHNEXT'],
  blockingMs: pollBlockingMs,
  decode: (reply) => decodeBatch(reply, false) as CdcPollBatch<string>,
});

/** {@link cdcPollWithNextCommand} with values as Buffers, byte for byte. */
export const cdcPollWithNextBinaryCommand = defineCommand({
  name: 'CDC.POLL',
  keyIndex: null,
  binary: true,
  encode: (subscription: number, options?: CdcPollCommandOptions) => [...encodePoll(subscription, options), 'WITHNEXT'],
  blockingMs: pollBlockingMs,
  decode: (reply) => decodeBatch(reply, true) as CdcPollBatch<Buffer>,
});
