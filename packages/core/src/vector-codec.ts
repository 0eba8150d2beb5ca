import { FerriteValidationError } from './errors.js';

/** A vector as callers may pass it; every value is stored as float32. */
export type VectorInput = Float32Array | Float64Array | readonly number[];

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Checks `encodeVector` makes before encoding. */
export interface EncodeVectorOptions {
  /** The dimension the vector must have. */
  readonly dimension?: number;
  /** Names the argument in validation errors (default `vector`). */
  readonly field?: string;
}

function assertFinite(values: Float32Array, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new FerriteValidationError(field, `element ${i} is ${values[i]} once stored as float32; all values must be finite`);
    }
  }
}

/**
 * Encodes a vector as the wire contract's {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#ground-rules | vector blob}: float32, little-endian, no header.
 *
 * A little-endian `Float32Array` is sent without a copy: do not modify it until the command
 * has resolved. Other inputs are converted, and checked after conversion, so a float64 too large
 * for float32 is rejected rather than sent as infinity.
 */
export function encodeVector(vector: VectorInput, options: EncodeVectorOptions = {}): Buffer {
  const field = options.field ?? 'vector';
  if (!(vector instanceof Float32Array || vector instanceof Float64Array || Array.isArray(vector))) {
    throw new FerriteValidationError(field, 'expected a Float32Array, a Float64Array or an array of numbers');
  }
  if (vector.length === 0) throw new FerriteValidationError(field, 'must not be empty');
  if (options.dimension !== undefined && vector.length !== options.dimension) {
    throw new FerriteValidationError(field, `dimension mismatch: expected ${options.dimension}, got ${vector.length}`);
  }
  let floats: Float32Array;
  if (vector instanceof Float32Array) {
    floats = vector;
  } else {
    floats = new Float32Array(vector.length);
    for (let i = 0; i < vector.length; i++) {
      const value = vector[i];
      if (typeof value !== 'number') throw new FerriteValidationError(field, `element ${i} is not a number`);
      floats[i] = value;
    }
  }
  assertFinite(floats, field);
  if (LITTLE_ENDIAN) return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
  const blob = Buffer.allocUnsafe(floats.length * 4);
  for (let i = 0; i < floats.length; i++) blob.writeFloatLE(floats[i] as number, i * 4);
  return blob;
}

/** Decodes a vector blob into a new `Float32Array` (never a view of the reply buffer). */
export function decodeVector(blob: Uint8Array): Float32Array {
  if (blob.byteLength % 4 !== 0) {
    throw new FerriteValidationError('vector blob', `length ${blob.byteLength} is not a multiple of 4`);
  }
  const out = new Float32Array(blob.byteLength / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(blob);
  } else {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}
