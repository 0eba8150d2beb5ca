import { defineCommand, FerriteValidationError, readOk } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';
import type { VectorDistance, VectorIndexType } from '../types.js';
import { assertDimension, assertIndexName } from '../validate.js';

/** The shape of a new index. Only `dim` is required. */
export interface CreateIndexOptions {
  /** Number of dimensions, 1 to 32768. */
  readonly dim: number;
  /** Default `COSINE`. */
  readonly distance?: VectorDistance;
  /** Default `HNSW`. */
  readonly type?: VectorIndexType;
  /** HNSW links per node (server default 16). */
  readonly m?: number;
  /** HNSW build-time candidate list size (server default 200). */
  readonly efConstruction?: number;
  /** IVF list count (server default 100). */
  readonly nlist?: number;
}

export const DEFAULT_DISTANCE: VectorDistance = 'COSINE';
export const DISTANCES: readonly VectorDistance[] = ['COSINE', 'L2', 'IP'];
export const INDEX_TYPES: readonly VectorIndexType[] = ['HNSW', 'IVF', 'FLAT'];

function assertOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new FerriteValidationError(field, `expected ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** `VECTOR.INDEX.CREATE <index> DIM <n> [DISTANCE …] [TYPE …] [M …] [EF_CONSTRUCTION …] [NLIST …]` → OK. */
export const createIndexCommand = defineCommand({
  name: 'VECTOR.INDEX.CREATE',
  collection: true,
  encode(name: string, options: CreateIndexOptions) {
    assertIndexName(name);
    if (typeof options !== 'object' || options === null) {
      throw new FerriteValidationError('options', 'expected an object with at least `dim`');
    }
    assertDimension(options.dim);
    const args: (string | number)[] = [name, 'DIM', options.dim];
    if (options.distance !== undefined) {
      assertOneOf(options.distance, DISTANCES, 'distance');
      args.push('DISTANCE', options.distance);
    }
    if (options.type !== undefined) {
      assertOneOf(options.type, INDEX_TYPES, 'type');
      args.push('TYPE', options.type);
    }
    const tuning = [
      ['M', 'm', options.m],
      ['EF_CONSTRUCTION', 'efConstruction', options.efConstruction],
      ['NLIST', 'nlist', options.nlist],
    ] as const;
    for (const [keyword, field, value] of tuning) {
      if (value === undefined) continue;
      assertInteger(value, field, { min: 1 });
      args.push(keyword, value);
    }
    return args;
  },
  decode: (reply) => void readOk(reply),
});
