import type { EngineContext } from '../engine-context.js';
import { CommandError } from '../reply.js';
import type { EngineReply } from '../reply.js';

export interface Subcommand {
  /** Redis convention, counting the command and the subcommand: `CLIENT ID` is 2. */
  readonly arity: number;
  readonly handler: (context: EngineContext, args: readonly Buffer[]) => EngineReply | Promise<EngineReply>;
}

/**
 * A handler for a container command (`CLIENT`, `COMMAND`, `DEBUG`): finds the subcommand
 * case-insensitively and checks its arity with Redis' texts (`'client|kill'`, `Try CLIENT HELP.`).
 */
export function subcommandHandler(parent: string, table: Readonly<Record<string, Subcommand>>) {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply | Promise<EngineReply> => {
    const nameArg = (args[0] as Buffer).toString('utf8');
    const sub = Object.hasOwn(table, nameArg.toUpperCase()) ? table[nameArg.toUpperCase()] : undefined;
    if (sub === undefined) {
      throw new CommandError(`ERR unknown subcommand '${nameArg.slice(0, 128)}'. Try ${parent} HELP.`);
    }
    const count = args.length + 1;
    if (sub.arity >= 0 ? count !== sub.arity : count < -sub.arity) {
      throw new CommandError(`ERR wrong number of arguments for '${parent.toLowerCase()}|${nameArg.toLowerCase()}' command`);
    }
    return sub.handler(context, args.slice(1));
  };
}
