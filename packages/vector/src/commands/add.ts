import { defineCommand, encodeVector, readOk, type VectorInput } from '@ferrite/core';
import { encodeMetadata } from '../metadata.js';
import type { MetadataInput } from '../types.js';
import { assertId, assertIndexName } from '../validate.js';

/** Checks `vectorAddCommand` can make before sending. */
export interface VectorEncodeOptions {
  /** The index's dimension when known: a vector of another length is rejected before sending. */
  readonly dimension?: number | undefined;
}

/**
 * `VECTOR.ADD <index> <key> <blob> [<field> <value> …]` → OK. Inserts or replaces the vector and
 * replaces its metadata whole, so sending it twice has the effect of once: retryable.
 */
export const addCommand = defineCommand({
  name: 'VECTOR.ADD',
  collection: true,
  retryable: true,
  encode(index: string, id: string, vector: VectorInput, metadata?: MetadataInput, options: VectorEncodeOptions = {}) {
    assertIndexName(index);
    assertId(id);
    const blob = encodeVector(vector, { dimension: options.dimension, field: 'vector' });
    return [index, id, blob, ...encodeMetadata(metadata)];
  },
  decode: (reply) => void readOk(reply),
});
