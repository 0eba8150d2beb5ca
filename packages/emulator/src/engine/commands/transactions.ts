import { CommandError, OK } from '../reply.js';
import { command } from './spec.js';

export const transactionCommands = [
  command('MULTI', 1, ['noscript', 'loading', 'stale', 'fast'], (context) => {
    if (context.client.transaction !== undefined) throw new CommandError('ERR MULTI calls can not be nested');
    context.client.transaction = { queue: [], aborted: false };
    return OK;
  }),
  command('EXEC', 1, ['noscript', 'loading', 'stale'], (context) => context.emulator.executeTransaction(context.client)),
  command('DISCARD', 1, ['noscript', 'loading', 'stale', 'fast'], (context) => {
    if (context.client.transaction === undefined) throw new CommandError('ERR DISCARD without MULTI');
    context.client.transaction = undefined;
    return OK;
  }),
];
