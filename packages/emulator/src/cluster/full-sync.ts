import type { Emulator } from '../engine/emulator.js';
import { clonePayload, nodeItems, putItem, takeItem } from './slot-data.js';
import type { SlotItem, SlotPayload } from './slot-data.js';

/** A copy of one item of `primary`, leaving the primary as it was (its WATCHes untouched). */
function copyOf(primary: Emulator, item: SlotItem): SlotPayload | undefined {
  if (item.kind === 'key') {
    const db = primary.database(item.db);
    const entry = db.lookup(item.name);
    return entry === undefined ? undefined : clonePayload({ kind: 'key', entry, expiresAt: db.expiryOf(item.name) });
  }
  // Extension items are only reachable by taking them out; they go straight back.
  const payload = takeItem(primary, item);
  if (payload === undefined) return undefined;
  putItem(primary, item, payload);
  return clonePayload(payload);
}

/**
 * A replica's full synchronisation, as Redis' SYNC: the replica drops everything it held (what its
 * primary never had included) and takes a copy of the primary's data set — keys with their TTLs,
 * vector indexes, semantic namespaces, CRDT values with their op-ids — and of its change log
 * (same log id, epochs and event ids, PROTOCOL.md §8.1).
 */
export function fullSync(replica: Emulator, primary: Emulator): void {
  for (let index = 0; index < replica.databaseCount; index++) replica.flushDatabase(index);
  for (const item of nodeItems(primary)) {
    const payload = copyOf(primary, item);
    if (payload !== undefined) putItem(replica, item, payload);
  }
  replica.changeLog.replaceWith(primary.changeLog.snapshot());
}
