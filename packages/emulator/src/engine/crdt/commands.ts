import type { CommandSpec, ExecutionContext } from '../command.js';
import { integerArg } from '../commands/arguments.js';
import { CommandError, array, binary, integer } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { CrdtStore } from './crdt-store.js';
import { CounterOverflowError } from './pn-counter.js';

function store(context: ExecutionContext): CrdtStore {
  return context.db.extension('crdt', () => new CrdtStore());
}

function counterIncrement(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [key, amountArg, ...options] = args as [Buffer, Buffer, ...Buffer[]];
  const amount = integerArg(amountArg);
  let opId: string | undefined;
  for (let i = 0; i < options.length; i += 2) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    const argument = options[i + 1];
    if (option !== 'ID' || argument === undefined) throw new CommandError('ERR syntax error');
    opId = argument.toString('latin1');
  }
  const counter = store(context).counter(key.toString('latin1'), true);
  try {
    return integer(counter.increment(amount, opId));
  } catch (error) {
    if (error instanceof CounterOverflowError) throw new CommandError('ERR increment or decrement would overflow');
    throw error;
  }
}

function counterGet(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  return integer(store(context).counter((args[0] as Buffer).toString('latin1'), false)?.value ?? 0n);
}

function setAdd(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [key, ...members] = args as [Buffer, ...Buffer[]];
  const orSet = store(context).set(key.toString('latin1'), true);
  let added = 0;
  for (const member of members) if (orSet.add(member.toString('latin1'))) added++;
  return integer(added);
}

function setRemove(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [key, ...members] = args as [Buffer, ...Buffer[]];
  const crdts = store(context);
  const orSet = crdts.set(key.toString('latin1'), false);
  if (orSet === undefined) return integer(0);
  let removed = 0;
  for (const member of members) if (orSet.remove(member.toString('latin1'))) removed++;
  crdts.releaseIfEmpty(key.toString('latin1'));
  return integer(removed);
}

function setMembers(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const orSet = store(context).set((args[0] as Buffer).toString('latin1'), false);
  return array((orSet?.members() ?? []).map(binary));
}

const keyed = { firstKey: 1, lastKey: 1, step: 1 } as const;

/** docs/protocol.md#crdts. Handlers receive the arguments after the command name. */
export const crdtCommands: readonly CommandSpec[] = [
  { name: 'CRDT.COUNTER.INCR', arity: -3, flags: ['write', 'denyoom', 'fast'], ...keyed, handler: counterIncrement },
  { name: 'CRDT.COUNTER.GET', arity: 2, flags: ['readonly', 'fast'], ...keyed, handler: counterGet },
  { name: 'CRDT.SET.ADD', arity: -3, flags: ['write', 'denyoom', 'fast'], ...keyed, handler: setAdd },
  { name: 'CRDT.SET.REM', arity: -3, flags: ['write', 'fast'], ...keyed, handler: setRemove },
  { name: 'CRDT.SET.MEMBERS', arity: 2, flags: ['readonly'], ...keyed, handler: setMembers },
];
