import type { EngineContext } from '../engine-context.js';
import { latin1 } from '../engine-context.js';
import { CommandError, NULL, array, binary, integer, map } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { inInt64, integerArg, parseInt64 } from './arguments.js';
import { removeMembers } from './remove-members.js';
import { FIRST_KEY, command } from './spec.js';

function hashOf(context: EngineContext, key: string): Map<string, string> | undefined {
  return context.keyspace.lookupTyped(key, 'hash')?.value;
}

/** The hash at `key`, created empty when missing (the caller writes to it before returning). */
function writableHash(context: EngineContext, key: string): Map<string, string> {
  const existing = hashOf(context, key);
  if (existing !== undefined) return existing;
  const value = new Map<string, string>();
  context.keyspace.put(key, { type: 'hash', value });
  return value;
}

function hset(context: EngineContext, args: readonly Buffer[]): EngineReply {
  if (args.length % 2 !== 1) throw new CommandError("ERR wrong number of arguments for 'hset' command");
  const key = latin1(args[0] as Buffer);
  const hash = writableHash(context, key);
  let added = 0;
  for (let i = 1; i < args.length; i += 2) {
    const field = latin1(args[i] as Buffer);
    if (!hash.has(field)) added++;
    hash.set(field, latin1(args[i + 1] as Buffer));
  }
  context.recordChange('HSET', key, null);
  return integer(added);
}

function hincrby(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const key = latin1(args[0] as Buffer);
  const field = latin1(args[1] as Buffer);
  const delta = integerArg(args[2] as Buffer);
  const current = hashOf(context, key)?.get(field);
  const base = current === undefined ? 0n : parseInt64(current);
  if (base === undefined) throw new CommandError('ERR hash value is not an integer');
  const result = base + delta;
  if (!inInt64(result)) throw new CommandError('ERR increment or decrement would overflow');
  writableHash(context, key).set(field, result.toString());
  context.recordChange('HINCRBY', key, null);
  return integer(result);
}


const readHash = (context: EngineContext, args: readonly Buffer[]) => hashOf(context, latin1(args[0] as Buffer));

export const hashCommands = [
  command('HSET', -4, ['write', 'denyoom', 'fast'], hset, FIRST_KEY),
  command(
    'HGET',
    3,
    ['readonly', 'fast'],
    (context, args) => {
      const value = readHash(context, args)?.get(latin1(args[1] as Buffer));
      return value === undefined ? NULL : binary(value);
    },
    FIRST_KEY,
  ),
  command(
    'HMGET',
    -3,
    ['readonly', 'fast'],
    (context, args) => {
      const hash = readHash(context, args);
      return array(
        args.slice(1).map((field) => {
          const value = hash?.get(latin1(field));
          return value === undefined ? NULL : binary(value);
        }),
      );
    },
    FIRST_KEY,
  ),
  command(
    'HGETALL',
    2,
    ['readonly'],
    (context, args) => map([...(readHash(context, args) ?? new Map<string, string>())].map(([field, value]) => [binary(field), binary(value)] as const)),
    FIRST_KEY,
  ),
  command('HDEL', -3, ['write', 'fast'], removeMembers('hash', 'HDEL'), FIRST_KEY),
  command('HEXISTS', 3, ['readonly', 'fast'], (context, args) => integer(readHash(context, args)?.has(latin1(args[1] as Buffer)) ? 1 : 0), FIRST_KEY),
  command('HLEN', 2, ['readonly', 'fast'], (context, args) => integer(readHash(context, args)?.size ?? 0), FIRST_KEY),
  command('HKEYS', 2, ['readonly'], (context, args) => array([...(readHash(context, args)?.keys() ?? [])].map(binary)), FIRST_KEY),
  command('HVALS', 2, ['readonly'], (context, args) => array([...(readHash(context, args)?.values() ?? [])].map(binary)), FIRST_KEY),
  command('HINCRBY', 4, ['write', 'denyoom', 'fast'], hincrby, FIRST_KEY),
];
