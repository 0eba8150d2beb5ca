import { isConnectionError } from '@ferrite/core';
import { listIndexesCommand } from './commands/list-indexes.js';
import type { VectorSession } from './session.js';

/** Bytewise order of the UTF-8 encodings, as the server sorts (not `localeCompare`, not UTF-16 order). */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * `VECTOR.INDEX.LIST` has no key: each node answers with its own indexes (PROTOCOL.md §8). On a
 * cluster this asks every primary and merges; names are unique cluster-wide (a name has one
 * slot), and the set is deduplicated in case an index is seen on both sides of a slot move.
 */
export async function listAllIndexes(session: VectorSession): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const nodes = await session.context.nodes();
    if (nodes.length === 1) return session.call(null, listIndexesCommand);
    try {
      const lists = await Promise.all(nodes.map((node) => session.callOn(node.id, listIndexesCommand)));
      return [...new Set(lists.flat())].sort(compareBytewise);
    } catch (error) {
      // A node that left between nodes() and the call: the transport's map is newer now; ask again once.
      if (attempt >= 2 || !isConnectionError(error)) throw error;
    }
  }
}
