import type { CommandSpec, ExecutionContext } from './command.js';
import type { Keyspace } from './database.js';
import type { Emulator } from './emulator.js';
import type { EngineReply } from './reply.js';
import type { Session } from './session.js';

/**
 * What the emulator hands every handler: the public {@link ExecutionContext} plus the concrete
 * engine parts that only the built-in server and key-space commands need.
 */
export interface EngineContext extends ExecutionContext {
  readonly emulator: Emulator;
  /** The selected database with its key space (the same object as `db`). */
  readonly keyspace: Keyspace;
  /** The connection's full state (the same object as `session`). */
  readonly client: Session;
}

/** A command spec whose handler may use the whole {@link EngineContext}; extension specs fit it as they are. */
export interface EngineCommandSpec extends Omit<CommandSpec, 'handler'> {
  readonly handler: (context: EngineContext, args: readonly Buffer[]) => EngineReply | Promise<EngineReply>;
}

/** Latin1 view of an argument: the engine's in-memory form of keys and values (one char per byte). */
export function latin1(arg: Buffer): string {
  return arg.toString('latin1');
}

export function upper(arg: Buffer | undefined): string {
  return arg === undefined ? '' : arg.toString('latin1').toUpperCase();
}
