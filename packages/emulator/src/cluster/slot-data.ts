import { slotOf } from '@ferrite/core';
import type { Entry, Keyspace } from '../engine/database.js';
import type { Emulator } from '../engine/emulator.js';
import type { ObservedRemoveSet } from '../engine/crdt/or-set.js';
import type { PnCounter } from '../engine/crdt/pn-counter.js';
import { CrdtStore } from '../engine/crdt/crdt-store.js';
import { SemanticCacheStore } from '../engine/semantic/cache-store.js';
import type { SemanticNamespace } from '../engine/semantic/cache-store.js';
import { VectorIndexStore } from '../engine/vector/index-store.js';
import type { VectorIndex } from '../engine/vector/index-store.js';

// The same extension names and factories as the command modules use (vector/semantic/crdt commands.ts).
const vectorStore = (db: Keyspace) => db.extension('vector', () => new VectorIndexStore());
const semanticStore = (db: Keyspace) => db.extension('semantic', () => new SemanticCacheStore());
const crdtStore = (db: Keyspace) => db.extension('crdt', () => new CrdtStore());

/** The slot of an engine name (latin1 binary string, one char per byte). */
export function slotOfName(name: string): number {
  return slotOf(Buffer.from(name, 'latin1'));
}

/** One thing a slot holds: a key, or an extension's item named by its routing key (PROTOCOL.md §8). */
export interface SlotItem {
  readonly kind: 'key' | 'vector' | 'semantic' | 'crdt';
  readonly db: number;
  readonly name: string;
}

/** An item taken out of a node, ready to be put into another. */
export type SlotPayload =
  | { readonly kind: 'key'; readonly entry: Entry; readonly expiresAt: number | undefined }
  | { readonly kind: 'vector'; readonly index: VectorIndex }
  | { readonly kind: 'semantic'; readonly space: SemanticNamespace }
  | { readonly kind: 'crdt'; readonly value: PnCounter | ObservedRemoveSet };

/**
 * Whether the node holds what a command's routing key names: the key itself for standard
 * commands, the index, namespace or CRDT value for the extensions. During a migration, a
 * missing item is what turns a command into an ASK redirect, as a missing key does in Redis.
 */
export function holds(db: Keyspace, commandName: string, key: string): boolean {
  if (commandName.startsWith('VECTOR.')) return vectorStore(db).has(key);
  if (commandName.startsWith('SEMANTIC.')) return semanticStore(db).has(key);
  if (commandName.startsWith('CRDT.')) return crdtStore(db).has(key);
  return db.has(key);
}

/** Every item on this node, keys first (databases in order). */
export function nodeItems(emulator: Emulator): SlotItem[] {
  const items: SlotItem[] = [];
  for (let index = 0; index < emulator.databaseCount; index++) {
    const db = emulator.database(index);
    const add = (kind: SlotItem['kind'], names: Iterable<string>) => {
      for (const name of names) items.push({ kind, db: index, name });
    };
    add('key', db.keys());
    add('vector', vectorStore(db).names());
    add('semantic', semanticStore(db).names());
    add('crdt', crdtStore(db).keys());
  }
  return items;
}

/** Every item of `slot` on this node, keys first (databases in order). */
export function slotItems(emulator: Emulator, slot: number): SlotItem[] {
  return nodeItems(emulator).filter((item) => slotOfName(item.name) === slot);
}

/** Up to `count` keys of `slot` in database 0 (CLUSTER GETKEYSINSLOT). */
export function keysInSlot(db: Keyspace, slot: number, count: number): string[] {
  const keys: string[] = [];
  for (const key of db.keys()) {
    if (keys.length >= count) break;
    if (slotOfName(key) === slot) keys.push(key);
  }
  return keys;
}

/** Removes an item from `emulator` and returns it, or undefined when it is gone (expired, deleted). */
export function takeItem(emulator: Emulator, item: SlotItem): SlotPayload | undefined {
  const db = emulator.database(item.db);
  switch (item.kind) {
    case 'key': {
      const entry = db.lookup(item.name);
      if (entry === undefined) return undefined;
      const expiresAt = db.expiryOf(item.name);
      db.delete(item.name);
      // A moved key is a changed key for WATCH, as MIGRATE's delete is in Redis; it emits no CDC event.
      emulator.watches.touch(item.db, item.name);
      return { kind: 'key', entry, expiresAt };
    }
    case 'vector': {
      const index = vectorStore(db).detach(item.name);
      return index === undefined ? undefined : { kind: 'vector', index };
    }
    case 'semantic': {
      const space = semanticStore(db).detach(item.name);
      return space === undefined ? undefined : { kind: 'semantic', space };
    }
    case 'crdt': {
      const value = crdtStore(db).detach(item.name);
      return value === undefined ? undefined : { kind: 'crdt', value };
    }
  }
}

/** Puts an item into `emulator`, replacing whatever it held under that name. */
export function putItem(emulator: Emulator, item: SlotItem, payload: SlotPayload): void {
  const db = emulator.database(item.db);
  switch (payload.kind) {
    case 'key':
      db.put(item.name, payload.entry);
      db.setExpiry(item.name, payload.expiresAt);
      emulator.watches.touch(item.db, item.name);
      return;
    case 'vector':
      vectorStore(db).attach(payload.index);
      return;
    case 'semantic':
      semanticStore(db).attach(item.name, payload.space);
      return;
    case 'crdt':
      crdtStore(db).attach(item.name, payload.value);
      return;
  }
}

function cloneEntry(entry: Entry): Entry {
  switch (entry.type) {
    case 'string':
      return { type: 'string', value: entry.value };
    case 'hash':
      return { type: 'hash', value: new Map(entry.value) };
    case 'list':
      return { type: 'list', value: [...entry.value] };
    case 'set':
      return { type: 'set', value: new Set(entry.value) };
    case 'zset':
      return { type: 'zset', value: new Map(entry.value) };
  }
}

/** A deep copy, so a replica's copy never shares mutable state with its primary's. */
export function clonePayload(payload: SlotPayload): SlotPayload {
  switch (payload.kind) {
    case 'key':
      return { kind: 'key', entry: cloneEntry(payload.entry), expiresAt: payload.expiresAt };
    case 'vector':
      return { kind: 'vector', index: payload.index.clone() };
    case 'semantic':
      return { kind: 'semantic', space: payload.space.clone() };
    case 'crdt':
      return { kind: 'crdt', value: payload.value.clone() };
  }
}
