import { euclideanNorm } from './distance.js';
import type { DistanceMetric } from './distance.js';
import { VectorMetadata } from './metadata.js';
import { RowStorage } from './row-storage.js';

export type IndexType = 'HNSW' | 'IVF' | 'FLAT';

const NORM_GROWTH = 8192;

export const INDEX_TYPES: readonly IndexType[] = ['HNSW', 'IVF', 'FLAT'];

/** What VECTOR.INDEX.CREATE settles; the tuning knobs are kept only to be reported back. */
export interface VectorIndexOptions {
  readonly dimension: number;
  readonly distance: DistanceMetric;
  readonly type: IndexType;
  readonly m: bigint;
  readonly efConstruction: bigint;
  readonly nlist: bigint;
}

export interface VectorEntry {
  readonly vector: Float32Array;
  readonly metadata: VectorMetadata;
}

/**
 * One index, laid out for scanning: row `r` holds a vector's floats (in `rows`), its id
 * (`ids[r]`), its metadata (`metadata[r]`) and, for COSINE and IP, its Euclidean norm (`norms[r]`,
 * computed once on write instead of on every search). Rows stay dense: a delete moves the last row
 * into the hole. The emulator always searches exactly, whatever `type` says.
 *
 * Retained per vector: 4 × dim bytes of floats, plus the id (twice referenced, once stored), its
 * metadata and 8 bytes of norm — measured in apps/bench (README: bytes per stored vector).
 */
export class VectorIndex {
  private storage: RowStorage;
  private readonly rowIds: string[] = [];
  private readonly rowMetadata: VectorMetadata[] = [];
  /** The norm of each row's vector (COSINE and IP; empty for L2), grown by doubling. */
  private normValues = new Float64Array(0);
  private readonly rowOf = new Map<string, number>();
  /**
   * One string per field name, shared by every vector's metadata (about 20 bytes saved per field of
   * each vector). Kept for the index's life, deletes included: indexes use a handful of fields.
   */
  private readonly fieldNames = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly options: VectorIndexOptions,
  ) {
    this.storage = new RowStorage(options.dimension);
  }

  /** The floats of every row. */
  get rows(): RowStorage {
    return this.storage;
  }

  /** The id of each row. */
  get ids(): readonly string[] {
    return this.rowIds;
  }

  /** The metadata of each row. */
  get metadata(): readonly VectorMetadata[] {
    return this.rowMetadata;
  }

  get size(): number {
    return this.rowIds.length;
  }

  /**
   * The norms by row (COSINE and IP: COSINE's scores divide by them, and both metrics' searches
   * bound a dot product by them, score-bound.ts); entries past `size` are unused.
   */
  get norms(): Float64Array {
    return this.normValues;
  }

  /** Inserts or replaces; metadata is replaced whole, never merged. */
  put(id: string, vector: Float32Array, metadataPairs: readonly string[]): void {
    const metadata = VectorMetadata.fromPairs(metadataPairs, (field) => this.internField(field));
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.storage.push(vector);
      this.rowOf.set(id, row);
      this.rowIds.push(id);
      this.rowMetadata.push(metadata);
    } else {
      this.storage.overwrite(row, vector);
      this.rowMetadata[row] = metadata;
    }
    if (this.keepsNorms) this.setNorm(row, vector);
  }

  delete(id: string): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    this.rowOf.delete(id);
    const last = this.rowIds.length - 1;
    if (row !== last) {
      const movedId = this.rowIds[last] as string;
      this.storage.overwrite(row, this.storage.view(last));
      this.rowIds[row] = movedId;
      this.rowMetadata[row] = this.rowMetadata[last] as VectorMetadata;
      if (this.keepsNorms) this.normValues[row] = this.normValues[last] as number;
      this.rowOf.set(movedId, row);
    }
    this.storage.pop();
    this.rowIds.pop();
    this.rowMetadata.pop();
    return true;
  }

  /** A copy of the stored vector and its metadata, or undefined. */
  get(id: string): VectorEntry | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    return { vector: this.storage.view(row).slice(), metadata: this.rowMetadata[row] as VectorMetadata };
  }

  /** A deep copy, for a cluster replica that receives a migrated index. */
  clone(): VectorIndex {
    const copy = new VectorIndex(this.name, this.options);
    copy.replaceContents(this);
    return copy;
  }

  private replaceContents(source: VectorIndex): void {
    this.storage = source.storage.clone();
    for (const id of source.rowIds) this.rowIds.push(id);
    // Metadata objects are never changed once made (a write replaces them), so copies may share them.
    for (const metadata of source.rowMetadata) this.rowMetadata.push(metadata);
    this.normValues = source.normValues.slice();
    for (const [id, row] of source.rowOf) this.rowOf.set(id, row);
    for (const [field, interned] of source.fieldNames) this.fieldNames.set(field, interned);
  }

  private get keepsNorms(): boolean {
    return this.options.distance !== 'L2';
  }

  private setNorm(row: number, vector: Float32Array): void {
    if (row >= this.normValues.length) {
      // Doubling up to 8 192 norms, then 64 KiB at a time: the slack stays small next to the rows.
      const length = this.normValues.length;
      const grown = new Float64Array(Math.max(8, length + Math.min(length, NORM_GROWTH)));
      grown.set(this.normValues);
      this.normValues = grown;
    }
    this.normValues[row] = euclideanNorm(vector);
  }

  private internField(field: string): string {
    const known = this.fieldNames.get(field);
    if (known !== undefined) return known;
    this.fieldNames.set(field, field);
    return field;
  }
}

/** The indexes of one database, created lazily through `db.extension`. */
export class VectorIndexStore {
  private readonly indexes = new Map<string, VectorIndex>();

  get(name: string): VectorIndex | undefined {
    return this.indexes.get(name);
  }

  has(name: string): boolean {
    return this.indexes.has(name);
  }

  create(name: string, options: VectorIndexOptions): VectorIndex {
    const index = new VectorIndex(name, options);
    this.indexes.set(name, index);
    return index;
  }

  drop(name: string): boolean {
    return this.indexes.delete(name);
  }

  /** Removes the index and hands it over whole (cluster slot migration). */
  detach(name: string): VectorIndex | undefined {
    const index = this.indexes.get(name);
    this.indexes.delete(name);
    return index;
  }

  /** Takes in an index moved from another node, replacing any of the same name. */
  attach(index: VectorIndex): void {
    this.indexes.set(index.name, index);
  }

  /** Names sorted bytewise (latin1 code units order as bytes do). */
  names(): string[] {
    return [...this.indexes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
