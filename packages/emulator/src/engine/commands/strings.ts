import type { EngineContext } from '../engine-context.js';
import { latin1 } from '../engine-context.js';
import { CommandError, NULL, OK, array, binary, integer } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { INT64_MAX, INT64_MIN, NOT_AN_INTEGER, SYNTAX_ERROR, inInt64, integerArg, parseInt64 } from './arguments.js';
import { ALL_KEYS, FIRST_KEY, command } from './spec.js';


function stringValue(context: EngineContext, key: string): string | undefined {
  return context.keyspace.lookupTyped(key, 'string')?.value;
}

function writeString(context: EngineContext, op: string, key: string, value: string, keepTtl: boolean): void {
  context.keyspace.put(key, { type: 'string', value }, keepTtl);
  context.recordChange(op, key, Buffer.from(value, 'latin1'));
}

interface SetFlags {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  expire?: { unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'; value: Buffer };
}

/** SET's option parser, with Redis' rules on which options may be combined. */
function setFlags(args: readonly Buffer[]): SetFlags {
  const flags: SetFlags = { nx: false, xx: false, get: false, keepTtl: false };
  for (let i = 0; i < args.length; i++) {
    const option = latin1(args[i] as Buffer).toUpperCase();
    const next = args[i + 1];
    if (option === 'NX' && !flags.xx) flags.nx = true;
    else if (option === 'XX' && !flags.nx) flags.xx = true;
    else if (option === 'GET') flags.get = true;
    else if (option === 'KEEPTTL' && flags.expire === undefined) flags.keepTtl = true;
    else if (
      (option === 'EX' || option === 'PX' || option === 'EXAT' || option === 'PXAT') &&
      !flags.keepTtl &&
      (flags.expire === undefined || flags.expire.unit === option) &&
      next !== undefined
    ) {
      flags.expire = { unit: option, value: next };
      i++;
    } else {
      throw new CommandError(SYNTAX_ERROR);
    }
  }
  return flags;
}

/** The absolute expiry (ms) of SET's EX/PX/EXAT/PXAT, with Redis' range checks. */
function setExpiry(context: EngineContext, expire: NonNullable<SetFlags['expire']>): number {
  const amount = parseInt64(expire.value);
  if (amount === undefined) throw new CommandError(NOT_AN_INTEGER);
  const invalid = "ERR invalid expire time in 'set' command";
  const seconds = expire.unit === 'EX' || expire.unit === 'EXAT';
  if (amount <= 0n || (seconds && amount > INT64_MAX / 1000n)) throw new CommandError(invalid);
  let at = seconds ? amount * 1000n : amount;
  if (expire.unit === 'EX' || expire.unit === 'PX') {
    const now = BigInt(Math.floor(context.now()));
    if (at > INT64_MAX - now) throw new CommandError(invalid);
    at += now;
  }
  return Number(at);
}

function set(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const key = latin1(args[0] as Buffer);
  const value = latin1(args[1] as Buffer);
  const flags = setFlags(args.slice(2));
  const at = flags.expire === undefined ? undefined : setExpiry(context, flags.expire);
  const previous = flags.get ? stringValue(context, key) : undefined;
  const exists = context.keyspace.has(key);
  if ((flags.nx && exists) || (flags.xx && !exists)) return flags.get && previous !== undefined ? binary(previous) : NULL;
  writeString(context, 'SET', key, value, flags.keepTtl);
  if (at !== undefined) context.keyspace.setExpiry(key, at);
  if (flags.get) return previous === undefined ? NULL : binary(previous);
  return OK;
}

/** Adds `delta` to the integer held at `key` (INCR, DECR, INCRBY, DECRBY). */
function incrementBy(context: EngineContext, op: string, key: string, delta: bigint): EngineReply {
  const current = stringValue(context, key);
  const base = current === undefined ? 0n : parseInt64(current);
  if (base === undefined) throw new CommandError(NOT_AN_INTEGER);
  const result = base + delta;
  if (!inInt64(result)) throw new CommandError('ERR increment or decrement would overflow');
  writeString(context, op, key, result.toString(), true);
  return integer(result);
}

export const stringCommands = [
  command(
    'GET',
    2,
    ['readonly', 'fast'],
    (context, args) => {
      const value = stringValue(context, latin1(args[0] as Buffer));
      return value === undefined ? NULL : binary(value);
    },
    FIRST_KEY,
  ),
  command('SET', -3, ['write', 'denyoom'], set, FIRST_KEY),
  command(
    'MGET',
    -2,
    ['readonly', 'fast'],
    (context, args) =>
      array(
        args.map((arg) => {
          const entry = context.keyspace.lookup(latin1(arg));
          return entry?.type === 'string' ? binary(entry.value) : NULL;
        }),
      ),
    ALL_KEYS,
  ),
  command(
    'MSET',
    -3,
    ['write', 'denyoom'],
    (context, args) => {
      if (args.length % 2 !== 0) throw new CommandError("ERR wrong number of arguments for 'mset' command");
      for (let i = 0; i < args.length; i += 2) writeString(context, 'MSET', latin1(args[i] as Buffer), latin1(args[i + 1] as Buffer), false);
      return OK;
    },
    [1, -1, 2],
  ),
  command(
    'SETNX',
    3,
    ['write', 'denyoom', 'fast'],
    (context, args) => {
      const key = latin1(args[0] as Buffer);
      if (context.keyspace.has(key)) return integer(0);
      writeString(context, 'SETNX', key, latin1(args[1] as Buffer), false);
      return integer(1);
    },
    FIRST_KEY,
  ),
  command(
    'GETDEL',
    2,
    ['write', 'fast'],
    (context, args) => {
      const key = latin1(args[0] as Buffer);
      const value = stringValue(context, key);
      if (value === undefined) return NULL;
      context.keyspace.delete(key);
      context.recordChange('GETDEL', key, null);
      return binary(value);
    },
    FIRST_KEY,
  ),
  command(
    'APPEND',
    3,
    ['write', 'denyoom', 'fast'],
    (context, args) => {
      const key = latin1(args[0] as Buffer);
      const value = (stringValue(context, key) ?? '') + latin1(args[1] as Buffer);
      writeString(context, 'APPEND', key, value, true);
      return integer(value.length);
    },
    FIRST_KEY,
  ),
  command('STRLEN', 2, ['readonly', 'fast'], (context, args) => integer(stringValue(context, latin1(args[0] as Buffer))?.length ?? 0), FIRST_KEY),
  command('INCR', 2, ['write', 'denyoom', 'fast'], (context, args) => incrementBy(context, 'INCR', latin1(args[0] as Buffer), 1n), FIRST_KEY),
  command('DECR', 2, ['write', 'denyoom', 'fast'], (context, args) => incrementBy(context, 'DECR', latin1(args[0] as Buffer), -1n), FIRST_KEY),
  command(
    'INCRBY',
    3,
    ['write', 'denyoom', 'fast'],
    (context, args) => incrementBy(context, 'INCRBY', latin1(args[0] as Buffer), integerArg(args[1] as Buffer)),
    FIRST_KEY,
  ),
  command(
    'DECRBY',
    3,
    ['write', 'denyoom', 'fast'],
    (context, args) => {
      const amount = integerArg(args[1] as Buffer);
      if (amount === INT64_MIN) throw new CommandError('ERR decrement would overflow');
      return incrementBy(context, 'DECRBY', latin1(args[0] as Buffer), -amount);
    },
    FIRST_KEY,
  ),
];
