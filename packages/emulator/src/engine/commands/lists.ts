import type { EngineContext } from '../engine-context.js';
import { latin1 } from '../engine-context.js';
import { CommandError, NULL, NULL_ARRAY, array, binary, integer } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { NOT_AN_INTEGER, integerArg, parseInt64 } from './arguments.js';
import { rankWindow } from './ranges.js';
import { FIRST_KEY, command } from './spec.js';

function push(op: 'LPUSH' | 'RPUSH') {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply => {
    const key = latin1(args[0] as Buffer);
    let entry = context.keyspace.lookupTyped(key, 'list');
    if (entry === undefined) {
      entry = { type: 'list', value: [] };
      context.keyspace.put(key, entry);
    }
    const values = args.slice(1).map(latin1);
    if (op === 'RPUSH') entry.value.push(...values);
    else for (const value of values) entry.value.unshift(value);
    context.recordChange(op, key, null);
    return integer(entry.value.length);
  };
}

function pop(op: 'LPOP' | 'RPOP') {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply => {
    if (args.length > 2) throw new CommandError(`ERR wrong number of arguments for '${op.toLowerCase()}' command`);
    const key = latin1(args[0] as Buffer);
    let count: number | undefined;
    if (args.length === 2) {
      const parsed = parseInt64(args[1] as Buffer);
      if (parsed === undefined || parsed < 0n) throw new CommandError('ERR value is out of range, must be positive');
      count = parsed > 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(parsed);
    }
    const entry = context.keyspace.lookupTyped(key, 'list');
    if (entry === undefined) return count === undefined ? NULL : NULL_ARRAY;
    if (count === 0) return array([]);
    const taken = op === 'LPOP' ? entry.value.splice(0, count ?? 1) : entry.value.splice(-(count ?? 1)).reverse();
    context.keyspace.deleteIfEmpty(key, entry);
    context.recordChange(op, key, null);
    return count === undefined ? binary(taken[0] as string) : array(taken.map(binary));
  };
}

function lrange(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const startArg = integerArg(args[1] as Buffer, NOT_AN_INTEGER);
  const stopArg = integerArg(args[2] as Buffer, NOT_AN_INTEGER);
  const list = context.keyspace.lookupTyped(latin1(args[0] as Buffer), 'list')?.value;
  const window = list && rankWindow(startArg, stopArg, list.length);
  if (!list || !window) return array([]);
  return array(list.slice(window.start, window.end).map(binary));
}

export const listCommands = [
  command('LPUSH', -3, ['write', 'denyoom', 'fast'], push('LPUSH'), FIRST_KEY),
  command('RPUSH', -3, ['write', 'denyoom', 'fast'], push('RPUSH'), FIRST_KEY),
  command('LPOP', -2, ['write', 'fast'], pop('LPOP'), FIRST_KEY),
  command('RPOP', -2, ['write', 'fast'], pop('RPOP'), FIRST_KEY),
  command('LRANGE', 4, ['readonly'], lrange, FIRST_KEY),
  command('LLEN', 2, ['readonly', 'fast'], (context, args) => integer(context.keyspace.lookupTyped(latin1(args[0] as Buffer), 'list')?.value.length ?? 0), FIRST_KEY),
];
