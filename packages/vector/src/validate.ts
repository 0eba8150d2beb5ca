import { assertInteger, assertName } from '@ferrite/core/validate';

export const MAX_DIMENSION = 32768;
export const MIN_TOP_K = 1;
export const MAX_TOP_K = 10000;

export function assertIndexName(name: unknown): asserts name is string {
  assertName(name, 'index name');
}

export function assertId(id: unknown, field = 'id'): asserts id is string {
  assertName(id, field);
}

export function assertTopK(topK: unknown): asserts topK is number {
  assertInteger(topK, 'topK', { min: MIN_TOP_K, max: MAX_TOP_K });
}

export function assertDimension(dim: unknown): asserts dim is number {
  assertInteger(dim, 'dim', { min: 1, max: MAX_DIMENSION });
}
