import type { EngineContext } from '../engine-context.js';
import { latin1, upper } from '../engine-context.js';
import { matchGlob } from '../glob.js';
import { CommandError, OK, array, binary, integer, simple } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { INT64_MAX, NOT_AN_INTEGER, SYNTAX_ERROR, integerArg, parseInt64 } from './arguments.js';
import { ALL_KEYS, FIRST_KEY, command } from './spec.js';


function deleteKeys(op: string) {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply => {
    let removed = 0;
    for (const arg of args) {
      const key = latin1(arg);
      if (context.keyspace.delete(key)) {
        removed++;
        context.recordChange(op, key, null);
      }
    }
    return integer(removed);
  };
}

/** Position of a key in SCAN's cursor space: a stable 32-bit hash (FNV-1a), so a cursor survives writes. */
function scanSlot(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * SCAN over the key space ordered by (slot, key). The cursor is the next slot to visit, so a key
 * present for the whole iteration is returned at least once, whatever is added or removed meanwhile.
 */
function scan(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const cursorText = latin1(args[0] as Buffer);
  if (!/^\d+$/.test(cursorText) || BigInt(cursorText) > 2n ** 64n - 1n) throw new CommandError('ERR invalid cursor');
  const cursor = BigInt(cursorText);
  let count = 10;
  let pattern: string | undefined;
  let type: string | undefined;
  for (let i = 1; i < args.length; i += 2) {
    const option = upper(args[i]);
    const value = args[i + 1];
    if (value === undefined) throw new CommandError(SYNTAX_ERROR);
    if (option === 'COUNT') {
      const parsed = parseInt64(value);
      if (parsed === undefined) throw new CommandError(NOT_AN_INTEGER);
      if (parsed < 1n) throw new CommandError(SYNTAX_ERROR);
      count = parsed > 1_000_000n ? 1_000_000 : Number(parsed);
    } else if (option === 'MATCH') {
      pattern = latin1(value);
    } else if (option === 'TYPE') {
      type = latin1(value).toLowerCase();
    } else {
      throw new CommandError(SYNTAX_ERROR);
    }
  }
  if (cursor >= 2n ** 32n) return array([binary('0'), array([])]);
  const start = Number(cursor);
  const candidates = context.keyspace
    .keys()
    .map((key) => [scanSlot(key), key] as const)
    .filter(([slot]) => slot >= start)
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const taken: string[] = [];
  let next = 0;
  for (let i = 0; i < candidates.length; i++) {
    const [slot, key] = candidates[i] as readonly [number, string];
    // Finish the slot in progress: the cursor can only point between slots.
    if (taken.length >= count && slot !== (candidates[i - 1] as readonly [number, string])[0]) {
      next = slot;
      break;
    }
    taken.push(key);
  }
  const keys = taken.filter((key) => {
    if (pattern !== undefined && !matchGlob(pattern, key)) return false;
    if (type !== undefined && context.keyspace.lookup(key)?.type !== type) return false;
    return true;
  });
  return array([binary(String(next)), array(keys.map(binary))]);
}

function expire(name: string, unitMs: number) {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply => {
    const key = latin1(args[0] as Buffer);
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (const arg of args.slice(2)) {
      const option = upper(arg);
      if (option === 'NX') nx = true;
      else if (option === 'XX') xx = true;
      else if (option === 'GT') gt = true;
      else if (option === 'LT') lt = true;
      else throw new CommandError(`ERR Unsupported option ${arg.toString('utf8')}`);
    }
    if (nx && (xx || gt || lt)) throw new CommandError('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (gt && lt) throw new CommandError('ERR GT and LT options at the same time are not compatible');
    const amount = integerArg(args[1] as Buffer);
    const invalid = `ERR invalid expire time in '${name}' command`;
    const now = BigInt(Math.floor(context.now()));
    if (unitMs === 1000 && (amount > INT64_MAX / 1000n || amount < -(INT64_MAX + 1n) / 1000n)) throw new CommandError(invalid);
    const relative = amount * BigInt(unitMs);
    if (relative > INT64_MAX - now) throw new CommandError(invalid);
    const at = relative + now;
    if (!context.keyspace.has(key)) return integer(0);
    const current = context.keyspace.expiryOf(key);
    if (nx && current !== undefined) return integer(0);
    if (xx && current === undefined) return integer(0);
    if (gt && (current === undefined || at <= BigInt(current))) return integer(0);
    if (lt && current !== undefined && at >= BigInt(current)) return integer(0);
    if (at <= now) {
      context.keyspace.delete(key);
    } else {
      context.keyspace.setExpiry(key, Number(at));
    }
    context.recordChange(name.toUpperCase(), key, null);
    return integer(1);
  };
}

function ttl(inMs: boolean) {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply => {
    const key = latin1(args[0] as Buffer);
    if (!context.keyspace.has(key)) return integer(-2);
    const at = context.keyspace.expiryOf(key);
    if (at === undefined) return integer(-1);
    const remaining = Math.max(0, at - context.now());
    return integer(inMs ? remaining : Math.floor((remaining + 500) / 1000));
  };
}

function rename(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const source = latin1(args[0] as Buffer);
  const target = latin1(args[1] as Buffer);
  const entry = context.keyspace.lookup(source);
  if (entry === undefined) throw new CommandError('ERR no such key');
  if (source === target) return OK;
  const expiry = context.keyspace.expiryOf(source);
  context.keyspace.delete(source);
  context.keyspace.delete(target);
  context.keyspace.put(target, entry);
  context.keyspace.setExpiry(target, expiry);
  context.recordChange('RENAME', source, null);
  context.recordChange('RENAME', target, null);
  return OK;
}

export const keyCommands = [
  command('DEL', -2, ['write'], deleteKeys('DEL'), ALL_KEYS),
  command('UNLINK', -2, ['write', 'fast'], deleteKeys('UNLINK'), ALL_KEYS),
  command(
    'EXISTS',
    -2,
    ['readonly', 'fast'],
    (context, args) => integer(args.filter((arg) => context.keyspace.has(latin1(arg))).length),
    ALL_KEYS,
  ),
  command('TYPE', 2, ['readonly', 'fast'], (context, args) => simple(context.keyspace.lookup(latin1(args[0] as Buffer))?.type ?? 'none'), FIRST_KEY),
  command('KEYS', 2, ['readonly'], (context, args) => {
    const pattern = latin1(args[0] as Buffer);
    return array(context.keyspace.keys().filter((key) => matchGlob(pattern, key)).map(binary));
  }),
  command('SCAN', -2, ['readonly'], scan),
  command('EXPIRE', -3, ['write', 'fast'], expire('expire', 1000), FIRST_KEY),
  command('PEXPIRE', -3, ['write', 'fast'], expire('pexpire', 1), FIRST_KEY),
  command('TTL', 2, ['readonly', 'fast'], ttl(false), FIRST_KEY),
  command('PTTL', 2, ['readonly', 'fast'], ttl(true), FIRST_KEY),
  command(
    'PERSIST',
    2,
    ['write', 'fast'],
    (context, args) => {
      const key = latin1(args[0] as Buffer);
      if (context.keyspace.expiryOf(key) === undefined) return integer(0);
      context.keyspace.setExpiry(key, undefined);
      context.recordChange('PERSIST', key, null);
      return integer(1);
    },
    FIRST_KEY,
  ),
  command('RENAME', 3, ['write'], rename, [1, 2, 1]),
];
