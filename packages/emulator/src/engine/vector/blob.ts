import { CommandError } from '../reply.js';

/**
 * Decodes a docs/protocol.md vector blob (float32, little-endian, no header) for an index of
 * dimension `dimension`, checking in the order docs/protocol.md lists the errors.
 */
export function decodeVectorBlob(blob: Buffer, dimension: number): Float32Array {
  if (blob.length % 4 !== 0) {
    throw new CommandError(`ERR invalid vector blob: length ${blob.length} is not a multiple of 4`);
  }
  const length = blob.length / 4;
  if (length !== dimension) throw new CommandError(`ERR dimension mismatch: expected ${dimension}, got ${length}`);
  const vector = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const value = blob.readFloatLE(i * 4);
    if (!Number.isFinite(value)) throw new CommandError('ERR vector contains a non-finite value');
    vector[i] = value;
  }
  return vector;
}

/** The blob form of a stored vector, for VECTOR.GET. */
export function encodeVectorBlob(vector: Float32Array): Buffer {
  const blob = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) blob.writeFloatLE(vector[i] as number, i * 4);
  return blob;
}
