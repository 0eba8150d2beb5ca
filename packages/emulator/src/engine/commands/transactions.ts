import type { EngineContext } from '../engine-context.js';
import { latin1 } from '../engine-context.js';
import { CommandError, NULL_ARRAY, OK, errorReply } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { ALL_KEYS, command } from './spec.js';

function exec(context: EngineContext): EngineReply | Promise<EngineReply> {
  const { client, emulator } = context;
  const transaction = client.transaction;
  if (transaction === undefined) throw new CommandError('ERR EXEC without MULTI');
  // A watched key that expired since WATCH counts as changed: look them up so lazy expiry runs.
  for (const { db, key } of emulator.watches.watched(client)) emulator.database(db).lookup(key);
  const dirty = emulator.watches.isDirty(client);
  emulator.watches.unwatch(client);
  if (transaction.aborted) {
    client.transaction = undefined;
    return errorReply('EXECABORT Transaction discarded because of previous errors.');
  }
  if (dirty) {
    client.transaction = undefined;
    return NULL_ARRAY;
  }
  return emulator.executeTransaction(client);
}

export const transactionCommands = [
  command('MULTI', 1, ['noscript', 'loading', 'stale', 'fast'], (context) => {
    if (context.client.transaction !== undefined) throw new CommandError('ERR MULTI calls can not be nested');
    context.client.transaction = { queue: [], aborted: false };
    return OK;
  }),
  command('EXEC', 1, ['noscript', 'loading', 'stale'], exec),
  command('DISCARD', 1, ['noscript', 'loading', 'stale', 'fast'], (context) => {
    if (context.client.transaction === undefined) throw new CommandError('ERR DISCARD without MULTI');
    context.client.transaction = undefined;
    context.emulator.watches.unwatch(context.client);
    return OK;
  }),
  command(
    'WATCH',
    -2,
    ['noscript', 'loading', 'stale', 'fast'],
    (context, args) => {
      if (context.client.transaction !== undefined) throw new CommandError('ERR WATCH inside MULTI is not allowed');
      // Like Redis, a key already gone by expiry is not "changed" later; looking it up settles that now.
      for (const arg of args) {
        const key = latin1(arg);
        context.keyspace.lookup(key);
        context.emulator.watches.watch(context.client, context.keyspace.index, key);
      }
      return OK;
    },
    ALL_KEYS,
  ),
  command('UNWATCH', 1, ['noscript', 'loading', 'stale', 'fast'], (context) => {
    context.emulator.watches.unwatch(context.client);
    return OK;
  }),
];
