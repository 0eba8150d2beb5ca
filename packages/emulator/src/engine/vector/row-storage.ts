/**
 * The floats of an index's vectors, row after row, in a few large `Float32Array` chunks: a scan
 * reads memory in order, and a stored vector costs its 4 × dim bytes and no object of its own.
 *
 * Every chunk but the last is full; the last grows by doubling up to the chunk size, so the unused
 * tail is at most half a chunk (≤ 512 KiB) whatever the index's size. Rows are kept dense (row
 * `count - 1` is the last): the index deletes by moving its last row into the hole.
 */
const CHUNK_FLOATS = 1 << 18;
const FIRST_CHUNK_ROWS = 8;

export class RowStorage {
  /** Rows per full chunk: about 1 MiB of floats, and at least one row whatever the dimension. */
  readonly rowsPerChunk: number;
  private chunks: Float32Array[] = [];
  private rowCount = 0;

  constructor(readonly dimension: number) {
    this.rowsPerChunk = Math.max(1, Math.floor(CHUNK_FLOATS / dimension));
  }

  get count(): number {
    return this.rowCount;
  }

  /** The chunks, each holding `rowsIn(c)` rows from its start (for the search's scan). */
  get chunkList(): readonly Float32Array[] {
    return this.chunks;
  }

  rowsIn(chunk: number): number {
    return Math.min(this.rowsPerChunk, this.rowCount - chunk * this.rowsPerChunk);
  }

  /** Appends a row and returns its number. */
  push(vector: Float32Array): number {
    const row = this.rowCount;
    const chunk = Math.floor(row / this.rowsPerChunk);
    const offset = row - chunk * this.rowsPerChunk;
    let target = this.chunks[chunk];
    if (target === undefined) {
      target = new Float32Array(Math.min(FIRST_CHUNK_ROWS, this.rowsPerChunk) * this.dimension);
      this.chunks.push(target);
    } else if ((offset + 1) * this.dimension > target.length) {
      const grown = new Float32Array(Math.min(this.rowsPerChunk, 2 * (target.length / this.dimension)) * this.dimension);
      grown.set(target);
      this.chunks[chunk] = grown;
      target = grown;
    }
    target.set(vector, offset * this.dimension);
    this.rowCount++;
    return row;
  }

  /** A view of `row`'s floats (valid until the storage changes). */
  view(row: number): Float32Array {
    const chunk = Math.floor(row / this.rowsPerChunk);
    const start = (row - chunk * this.rowsPerChunk) * this.dimension;
    return (this.chunks[chunk] as Float32Array).subarray(start, start + this.dimension);
  }

  overwrite(row: number, vector: Float32Array): void {
    this.view(row).set(vector);
  }

  /** Removes the last row, releasing its chunk when it empties. */
  pop(): void {
    this.rowCount--;
    if (this.rowCount % this.rowsPerChunk === 0) this.chunks.length = this.rowCount / this.rowsPerChunk;
  }

  clone(): RowStorage {
    const copy = new RowStorage(this.dimension);
    copy.chunks = this.chunks.map((chunk) => chunk.slice());
    copy.rowCount = this.rowCount;
    return copy;
  }
}
