/**
 * The floats of an index's vectors, row after row, in one `KernelMemory` that the scan
 * kernel (scan-kernel.ts) reads in place: a stored vector costs its 4 × dim bytes (plus zero
 * padding to a multiple of 4 components) and no object of its own.
 *
 * The memory's layout, in bytes:
 *   [0, queryBytes)                 the current search's query, float64, zero-padded to `stride`
 *   [queryBytes, rowsOffset)        the sums of one block of `BLOCK_ROWS` rows, float64
 *   [rowsOffset, …)                 row r at rowsOffset + r × rowBytes, `stride` float32s
 *
 * Rows are kept dense (row `count - 1` is the last): the index deletes by moving its last row into
 * the hole. The memory grows in steps of at most `GROWTH_PAGES` (256 KiB), so the unused tail stays
 * under 256 KiB whatever the index's size; a memory cannot shrink, so one that has become four times
 * larger than its rows need is replaced by a copy of the right size.
 */
import { CommandError } from '../reply.js';
import { KERNEL_GROUP_ROWS, kernelMemory, scanKernel } from './scan-kernel.js';
import type { KernelMemory, ScanKernel } from './scan-kernel.js';

const PAGE_BYTES = 65536;
/** 256 KiB: at most this much of the memory is unused past the rows, whatever the index's size. */
const GROWTH_PAGES = 4;
/** A wasm32 memory's limit: 4 GiB. */
const MAX_PAGES = 65536;
/** Rows summed per kernel call: 2 KiB of sums, and few enough calls that their cost is nothing. */
export const BLOCK_ROWS = 256;

/** `value` rounded up to a multiple of `step`. */
const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

export class RowStorage {
  /** Components per stored row: the dimension, zero-padded to a multiple of 4 for the kernel. */
  readonly stride: number;
  private readonly rowBytes: number;
  private readonly queryBytes: number;
  private readonly rowsOffset: number;
  private rowCount = 0;
  private memory!: KernelMemory;
  private kernel!: ScanKernel;
  /** The whole memory as float32s, and as float64s (query and sums); replaced when it grows. */
  private floatView!: Float32Array;
  private doubleView!: Float64Array;
  private sumsView!: Float64Array;
  /** The memory's size in pages (reading `memory.buffer` costs a call into V8). */
  private pages = 0;

  constructor(readonly dimension: number) {
    this.stride = roundUp(dimension, 4);
    this.rowBytes = this.stride * 4;
    this.queryBytes = this.stride * 8;
    this.rowsOffset = this.queryBytes + BLOCK_ROWS * 8;
    this.useMemory(kernelMemory(this.pagesFor(0)));
  }

  get count(): number {
    return this.rowCount;
  }

  /** Every float of the memory; row r's components start at `rowStart(r)` (valid until the storage changes). */
  get floats(): Float32Array {
    return this.floatView;
  }

  rowStart(row: number): number {
    return (this.rowsOffset >> 2) + row * this.stride;
  }

  /** Appends a row and returns its number. */
  push(vector: Float32Array): number {
    const row = this.rowCount;
    const needed = this.pagesFor(row + 1);
    const pages = this.pages;
    if (needed > pages) {
      if (needed > MAX_PAGES) throw new CommandError(`ERR vector index is full: ${row} vectors of dimension ${this.dimension} fill the 4 GiB an index can hold`);
      // Doubling while small, then a step at a time: V8 grows a memory in place, so steps cost no copy.
      this.memory.grow(Math.min(MAX_PAGES, Math.max(needed, pages + Math.min(pages, GROWTH_PAGES))) - pages);
      this.useMemory(this.memory);
    }
    this.floatView.set(vector, this.rowStart(row));
    this.rowCount++;
    return row;
  }

  /** A view of `row`'s floats (valid until the storage changes). */
  view(row: number): Float32Array {
    const start = this.rowStart(row);
    return this.floatView.subarray(start, start + this.dimension);
  }

  overwrite(row: number, vector: Float32Array): void {
    this.floatView.set(vector, this.rowStart(row));
  }

  /** Removes the last row, and gives memory back once three quarters of it are unused. */
  pop(): void {
    this.rowCount--;
    const pages = this.pages;
    const needed = this.pagesFor(this.rowCount);
    if (pages > GROWTH_PAGES && pages >= 4 * needed) this.useMemory(this.copyInto(2 * needed));
  }

  clone(): RowStorage {
    const copy = new RowStorage(this.dimension);
    copy.rowCount = this.rowCount;
    copy.useMemory(this.copyInto(this.pages));
    return copy;
  }

  /** Writes the query (widened to float64, zero-padded) where the kernel reads it. */
  setQuery(query: Float32Array): void {
    this.doubleView.set(query, 0);
    this.doubleView.fill(0, query.length, this.stride);
  }

  /**
   * The dot products (or, with `sumOfSquares`, the sums of squared differences) of `rows` ≤
   * `BLOCK_ROWS` consecutive rows from `firstRow` with the query of `setQuery`, as sums[0 … rows)
   * of the returned view (the same view each call, so a scan allocates nothing per block; valid
   * until the next call or change).
   */
  sums(sumOfSquares: boolean, firstRow: number, rows: number): Float64Array {
    // Rows past the last in the final group are scored too (the memory always holds whole groups) and ignored.
    const groups = Math.ceil(rows / KERNEL_GROUP_ROWS);
    const kernelFunction = sumOfSquares ? this.kernel.squaredDistance : this.kernel.dot;
    kernelFunction(this.rowsOffset + firstRow * this.rowBytes, groups, this.rowBytes, 0, this.queryBytes);
    return this.sumsView;
  }

  /** Pages for `rows` rows, rounded up to whole kernel groups. */
  private pagesFor(rows: number): number {
    return Math.ceil((this.rowsOffset + roundUp(Math.max(rows, 1), KERNEL_GROUP_ROWS) * this.rowBytes) / PAGE_BYTES);
  }

  /** A new memory of `pages` pages holding this one's query area and rows. */
  private copyInto(pages: number): KernelMemory {
    const memory = kernelMemory(pages);
    const used = Math.min(this.rowsOffset + this.rowCount * this.rowBytes, pages * PAGE_BYTES);
    new Uint8Array(memory.buffer).set(new Uint8Array(this.memory.buffer, 0, used));
    return memory;
  }

  private useMemory(memory: KernelMemory): void {
    if (memory !== this.memory) this.kernel = scanKernel(memory);
    this.memory = memory;
    this.floatView = new Float32Array(memory.buffer);
    this.doubleView = new Float64Array(memory.buffer);
    this.sumsView = new Float64Array(memory.buffer, this.queryBytes, BLOCK_ROWS);
    this.pages = memory.buffer.byteLength / PAGE_BYTES;
  }
}
