import { decodeVector, defineCommand, FerriteProtocolError, readArray, readBuffer, readStringRecord, type Reply } from '@ferrite/core';
import type { StoredMetadata } from '../types.js';
import { assertId, assertIndexName } from '../validate.js';

/** A stored vector without its id (the caller knows it). */
export interface StoredVector {
  readonly vector: Float32Array;
  readonly metadata: StoredMetadata;
}

/** Reads null (absent) or `[blob, [field, value, …]]`. */
export function decodeStoredVector(reply: Reply): StoredVector | null {
  if (reply === null) return null;
  const parts = readArray(reply);
  if (parts.length !== 2) throw new FerriteProtocolError(`VECTOR.GET replied an array of ${parts.length}, expected 2`);
  return {
    vector: decodeVector(readBuffer(parts[0] as Reply)),
    metadata: readStringRecord(parts[1] as Reply),
  };
}

/** `VECTOR.GET <index> <key>` → the blob and metadata, or null. Binary, so the blob arrives intact. */
export const getCommand = defineCommand({
  name: 'VECTOR.GET',
  collection: true,
  readonly: true,
  retryable: true,
  binary: true,
  encode(index: string, id: string) {
    assertIndexName(index);
    assertId(id);
    return [index, id];
  },
  decode: decodeStoredVector,
});
