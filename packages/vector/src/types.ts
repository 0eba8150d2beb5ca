import type { VectorInput } from '@ferrite/core';

/** The distance metric of an index; every `score` is a distance, lower is closer. */
export type VectorDistance = 'COSINE' | 'L2' | 'IP';
/** The index structure; the server may answer HNSW and IVF searches approximately. */
export type VectorIndexType = 'HNSW' | 'IVF' | 'FLAT';

/**
 * What a metadata field may hold. Everything is stored as text: a number as JavaScript's
 * `String(n)`, a boolean as `true` / `false`.
 */
export type MetadataValue = string | number | boolean;

/**
 * Metadata as callers write it. Fields set to `undefined` are left out, so optional properties
 * of a typed `Meta` work as expected.
 */
export type MetadataInput = { readonly [field: string]: MetadataValue | undefined };

/** Metadata as the server returns it: every value is text (a null-prototype object). */
export type StoredMetadata = Readonly<Record<string, string>>;

/**
 * The shape a typed handle's `Meta` must have. Written as a mapped type over `Meta` itself so that
 * interfaces qualify, not only type aliases.
 */
export type MetadataShape<Meta> = { readonly [K in keyof Meta]?: MetadataValue | undefined };

/** One vector to add. */
export interface VectorItem<Meta = MetadataInput> {
  readonly id: string;
  readonly vector: VectorInput;
  readonly metadata?: Meta;
}

/** A stored vector, as `get` returns it. */
export interface VectorRecord<Metadata = StoredMetadata> {
  readonly id: string;
  readonly vector: Float32Array;
  readonly metadata: Metadata;
}

/** One search hit. `score` is a distance: lower is closer (see the README for each metric). */
export interface SearchHit<Metadata = StoredMetadata> {
  readonly id: string;
  readonly score: number;
  readonly metadata: Metadata;
}
