/**
 * The floats of an index's vectors, row after row, in chunks of about 4 MiB, each a
 * `WebAssembly.Memory` that the scan kernel (scan-kernel.ts) reads in place: a stored vector costs
 * its 4 × dim bytes (plus zero padding to a multiple of 4 components) and no object of its own.
 *
 * Chunks, not one memory for the whole index: V8 counts each grown memory's whole new buffer as
 * fresh external memory, so one memory grown in small steps set off a full GC every few steps
 * (measured: 89 of them while growing to 150 MiB in 256 KiB steps). A chunk is at most 4 MiB,
 * so its steps add little, and only the last chunk grows: every chunk but the last is full, and
 * the last grows in steps of `GROWTH_PAGES` (64 KiB), so the unused tail stays under 64 KiB
 * whatever the index's size.
 *
 * A chunk's layout, in bytes:
 *   [0, queryBytes)            the current search's query, float64, zero-padded to `stride`
 *   [queryBytes, sumsOffset)   the same query as float32 (the approximate sums' query)
 *   [sumsOffset, listOffset)   the sums of up to `BLOCK_ROWS` rows: float64 (exact) or float32
 *                              (approximate)
 *   [listOffset, rowsOffset)   the addresses of the rows to sum, i32 (scan-kernel.ts)
 *   [rowsOffset, …)            its rows, `stride` float32s each
 *
 * Rows are kept dense (row `count - 1` is the last): the index deletes by moving its last row into
 * the hole, and a chunk whose rows are all gone is released.
 */
import { CommandError } from '../reply.js';
import { KERNEL_GROUP_ROWS, kernelMemory, scanKernel } from './scan-kernel.js';
import type { KernelMemory, ScanKernel } from './scan-kernel.js';

const PAGE_BYTES = 65536;
const CHUNK_BYTES = 4 << 20;
const GROWTH_PAGES = 1;
/** Most rows summed per kernel call: 2 KiB of sums, and few enough calls that their cost is nothing. */
export const BLOCK_ROWS = 256;

/** `value` rounded up to a multiple of `step`. */
const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

/** One memory of rows, its kernel and its views (replaced when it grows). */
class Chunk {
  readonly kernel: ScanKernel;
  floats!: Float32Array;
  doubles!: Float64Array;
  sums!: Float64Array;
  approximateSums!: Float32Array;
  list!: Int32Array;
  pages = 0;

  constructor(
    readonly memory: KernelMemory,
    private readonly sumsOffset: number,
    private readonly listOffset: number,
  ) {
    this.kernel = scanKernel(memory);
    this.refreshViews();
  }

  grow(pages: number): void {
    this.memory.grow(pages);
    this.refreshViews();
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.floats = new Float32Array(buffer);
    this.doubles = new Float64Array(buffer);
    this.sums = new Float64Array(buffer, this.sumsOffset, BLOCK_ROWS);
    this.approximateSums = new Float32Array(buffer, this.sumsOffset, BLOCK_ROWS);
    this.list = new Int32Array(buffer, this.listOffset, BLOCK_ROWS);
    // Read once here: each `memory.buffer` read is a call into V8.
    this.pages = buffer.byteLength / PAGE_BYTES;
  }
}

export class RowStorage {
  /** Components per stored row: the dimension, zero-padded to a multiple of 4 for the kernel. */
  readonly stride: number;
  /** Rows per chunk: about 4 MiB of them, at least one. */
  readonly rowsPerChunk: number;
  private readonly rowBytes: number;
  private readonly queryBytes: number;
  private readonly sumsOffset: number;
  private readonly listOffset: number;
  private readonly rowsOffset: number;
  private chunks: Chunk[] = [];
  private rowCount = 0;

  constructor(readonly dimension: number) {
    this.stride = roundUp(dimension, 4);
    this.rowBytes = this.stride * 4;
    this.queryBytes = this.stride * 8;
    this.sumsOffset = this.queryBytes + this.rowBytes;
    this.listOffset = this.sumsOffset + BLOCK_ROWS * 8;
    this.rowsOffset = this.listOffset + BLOCK_ROWS * 4;
    this.rowsPerChunk = Math.max(1, Math.floor((CHUNK_BYTES - this.rowsOffset) / this.rowBytes));
  }

  get count(): number {
    return this.rowCount;
  }

  /** The floats of `row`'s chunk; the row's components start at `rowStart(row)` (valid until the storage changes). */
  private floatsOf(row: number): Float32Array {
    return (this.chunks[Math.floor(row / this.rowsPerChunk)] as Chunk).floats;
  }

  private rowStart(row: number): number {
    return (this.rowsOffset >> 2) + (row % this.rowsPerChunk) * this.stride;
  }

  /** Appends a row and returns its number. */
  push(vector: Float32Array): number {
    const row = this.rowCount;
    const local = row % this.rowsPerChunk;
    const needed = this.pagesFor(local + 1);
    let chunk = this.chunks[Math.floor(row / this.rowsPerChunk)];
    try {
      if (chunk === undefined) {
        chunk = new Chunk(kernelMemory(needed), this.sumsOffset, this.listOffset);
        this.chunks.push(chunk);
      } else if (needed > chunk.pages) {
        chunk.grow(Math.min(this.pagesFor(this.rowsPerChunk), Math.max(needed, chunk.pages + GROWTH_PAGES)) - chunk.pages);
      }
    } catch (error) {
      // A RangeError: the process would not map another chunk or a larger one.
      if (error instanceof RangeError) throw new CommandError(`ERR vector index is full: no memory for vector ${this.rowCount + 1} of dimension ${this.dimension}`);
      throw error;
    }
    chunk.floats.set(vector, this.rowStart(row));
    this.rowCount++;
    return row;
  }

  /** A view of `row`'s floats (valid until the storage changes). */
  view(row: number): Float32Array {
    const start = this.rowStart(row);
    return this.floatsOf(row).subarray(start, start + this.dimension);
  }

  overwrite(row: number, vector: Float32Array): void {
    this.floatsOf(row).set(vector, this.rowStart(row));
  }

  /** Removes the last row, releasing its chunk when it empties. */
  pop(): void {
    this.rowCount--;
    if (this.rowCount % this.rowsPerChunk === 0) this.chunks.length = this.rowCount / this.rowsPerChunk;
  }

  clone(): RowStorage {
    const copy = new RowStorage(this.dimension);
    copy.rowCount = this.rowCount;
    copy.chunks = this.chunks.map((chunk) => {
      const memory = kernelMemory(chunk.pages);
      new Uint8Array(memory.buffer).set(new Uint8Array(chunk.memory.buffer));
      return new Chunk(memory, this.sumsOffset, this.listOffset);
    });
    return copy;
  }

  /** Writes the query (widened to float64, and as float32, both zero-padded) where each chunk's kernel reads it. */
  setQuery(query: Float32Array): void {
    const floatsAt = this.queryBytes >> 2;
    for (const chunk of this.chunks) {
      chunk.doubles.set(query, 0);
      chunk.doubles.fill(0, query.length, this.stride);
      chunk.floats.set(query, floatsAt);
      chunk.floats.fill(0, floatsAt + query.length, floatsAt + this.stride);
    }
  }

  /** Rows in the block that starts at `firstRow`: up to `BLOCK_ROWS`, never past its chunk or the last row. */
  blockRows(firstRow: number): number {
    return Math.min(BLOCK_ROWS, this.rowsPerChunk - (firstRow % this.rowsPerChunk), this.rowCount - firstRow);
  }

  /**
   * The dot products (or, with `sumOfSquares`, the sums of squared differences) with the query of
   * `setQuery` of rows `rows[0 … count)`, which must lie in one chunk (one block, `blockRows`), as
   * elements 0 … count − 1 of the returned view (one view per chunk, so a scan allocates nothing
   * per block; valid until the next call or change).
   */
  exactSums(sumOfSquares: boolean, rows: Int32Array, count: number): Float64Array {
    const chunk = this.listRows(rows, count);
    const groups = Math.ceil(count / KERNEL_GROUP_ROWS);
    const kernelFunction = sumOfSquares ? chunk.kernel.squaredDistance : chunk.kernel.dot;
    kernelFunction(this.listOffset, groups, this.rowBytes, 0, this.sumsOffset);
    return chunk.sums;
  }

  /** Like `exactSums`, in float32 and inexactly (scan-kernel.ts); score-bound.ts bounds how inexactly. */
  approximateSums(sumOfSquares: boolean, rows: Int32Array, count: number): Float32Array {
    const chunk = this.listRows(rows, count);
    const groups = Math.ceil(count / KERNEL_GROUP_ROWS);
    const kernelFunction = sumOfSquares ? chunk.kernel.approximateSquaredDistance : chunk.kernel.approximateDot;
    kernelFunction(this.listOffset, groups, this.rowBytes, this.queryBytes, this.sumsOffset);
    return chunk.approximateSums;
  }

  /** Writes the rows' addresses where the kernel reads its list, repeating the first up to a whole group (whose sums are ignored); returns their chunk. */
  private listRows(rows: Int32Array, count: number): Chunk {
    const chunkIndex = Math.floor((rows[0] as number) / this.rowsPerChunk);
    const chunk = this.chunks[chunkIndex] as Chunk;
    const list = chunk.list;
    // Row r's address is rowsOffset + (r − the chunk's first row) × rowBytes; one subtraction, no division per row.
    const base = this.rowsOffset - chunkIndex * this.rowsPerChunk * this.rowBytes;
    const rowBytes = this.rowBytes;
    for (let i = 0; i < count; i++) list[i] = base + (rows[i] as number) * rowBytes;
    const padded = roundUp(count, KERNEL_GROUP_ROWS);
    for (let i = count; i < padded; i++) list[i] = list[0] as number;
    return chunk;
  }

  /** Pages for a chunk of `rows` rows. */
  private pagesFor(rows: number): number {
    return Math.ceil((this.rowsOffset + rows * this.rowBytes) / PAGE_BYTES);
  }

}
