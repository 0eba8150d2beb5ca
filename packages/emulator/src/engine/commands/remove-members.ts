import type { EngineContext } from '../engine-context.js';
import { latin1 } from '../engine-context.js';
import { integer, type EngineReply } from '../reply.js';

/**
 * HDEL, SREM and ZREM: remove the members named after the key, drop the key once it is empty,
 * and record one change event when anything was removed.
 */
export function removeMembers(type: 'hash' | 'set' | 'zset', op: string) {
  return (context: EngineContext, args: readonly Buffer[]): EngineReply => {
    const key = latin1(args[0] as Buffer);
    const entry = context.keyspace.lookupTyped(key, type);
    if (entry === undefined) return integer(0);
    let removed = 0;
    for (const arg of args.slice(1)) if (entry.value.delete(latin1(arg))) removed++;
    if (removed > 0) {
      context.keyspace.deleteIfEmpty(key, entry);
      context.recordChange(op, key, null);
    }
    return integer(removed);
  };
}
