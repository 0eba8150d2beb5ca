import type { EngineContext } from '../engine-context.js';
import { latin1 } from '../engine-context.js';
import { binary, integer, set } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { removeMembers } from './remove-members.js';
import { FIRST_KEY, command } from './spec.js';

function sadd(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const key = latin1(args[0] as Buffer);
  let entry = context.keyspace.lookupTyped(key, 'set');
  if (entry === undefined) {
    entry = { type: 'set', value: new Set() };
    context.keyspace.put(key, entry);
  }
  let added = 0;
  for (const arg of args.slice(1)) {
    const member = latin1(arg);
    if (!entry.value.has(member)) {
      entry.value.add(member);
      added++;
    }
  }
  if (added > 0) context.recordChange('SADD', key, null);
  return integer(added);
}


const members = (context: EngineContext, args: readonly Buffer[]) => context.keyspace.lookupTyped(latin1(args[0] as Buffer), 'set')?.value;

export const setCommands = [
  command('SADD', -3, ['write', 'denyoom', 'fast'], sadd, FIRST_KEY),
  command('SREM', -3, ['write', 'fast'], removeMembers('set', 'SREM'), FIRST_KEY),
  command('SMEMBERS', 2, ['readonly'], (context, args) => set([...(members(context, args) ?? [])].map(binary)), FIRST_KEY),
  command('SISMEMBER', 3, ['readonly', 'fast'], (context, args) => integer(members(context, args)?.has(latin1(args[1] as Buffer)) ? 1 : 0), FIRST_KEY),
  command('SCARD', 2, ['readonly', 'fast'], (context, args) => integer(members(context, args)?.size ?? 0), FIRST_KEY),
];

