import type { DistanceMetric } from './distance.js';

export type IndexType = 'HNSW' | 'IVF' | 'FLAT';

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
  /** latin1 field → latin1 value, in the order the fields were first given. */
  readonly metadata: ReadonlyMap<string, string>;
}

/** One index. The emulator always searches exactly, whatever `type` says. */
export class VectorIndex {
  readonly entries = new Map<string, VectorEntry>();

  constructor(
    readonly name: string,
    readonly options: VectorIndexOptions,
  ) {}

  /** Inserts or replaces; metadata is replaced whole, never merged. */
  put(id: string, entry: VectorEntry): void {
    this.entries.set(id, entry);
  }

  delete(id: string): boolean {
    return this.entries.delete(id);
  }

  /** A deep copy, for a cluster replica that receives a migrated index. */
  clone(): VectorIndex {
    const copy = new VectorIndex(this.name, this.options);
    for (const [id, entry] of this.entries) copy.put(id, { vector: entry.vector.slice(), metadata: new Map(entry.metadata) });
    return copy;
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
