/**
 * The metadata of one stored vector: latin1 field → latin1 value pairs, flat, in the order the
 * fields were first given. A flat array instead of a `Map` per vector: an index holds one of these
 * for every vector, and a one-field `Map` costs several times the pair it holds.
 */
export class VectorMetadata {
  static readonly EMPTY = new VectorMetadata([]);

  private constructor(
    /** field, value, field, value, … (each field once). */
    readonly pairs: readonly string[],
  ) {}

  /**
   * From the pairs of `VECTOR.ADD` (field, value, …): a field given twice keeps its first place and
   * its last value. `internField` lets the index share one string per field name.
   */
  static fromPairs(pairs: readonly string[], internField: (field: string) => string): VectorMetadata {
    if (pairs.length === 0) return VectorMetadata.EMPTY;
    const byField = new Map<string, string>();
    for (let i = 0; i + 1 < pairs.length; i += 2) byField.set(pairs[i] as string, pairs[i + 1] as string);
    // Sized up front: an array grown by push keeps room for 17 elements, 120 bytes of nothing.
    const flat = new Array<string>(2 * byField.size);
    let at = 0;
    for (const [field, value] of byField) {
      flat[at++] = internField(field);
      flat[at++] = value;
    }
    return new VectorMetadata(flat);
  }

  get size(): number {
    return this.pairs.length / 2;
  }

  /** The value of `field`; a linear scan, as a vector carries a handful of fields. */
  get(field: string): string | undefined {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === field) return pairs[i + 1];
    return undefined;
  }
}
