/**
 * The search's inner loop as a WebAssembly SIMD module, written here byte by byte (through
 * wasm-encoding.ts): the per-row sums of a list of rows, for every metric. It reads the rows where
 * they are stored (row-storage.ts keeps them in the module's imported memory), so a scan copies
 * nothing.
 *
 * Same bits as the definitions in distance.ts. The two lanes of a float64 vector hold two *rows*,
 * not two components: each row's sum is still `0 + p0 + p1 + …` in component order, each product
 * of a float64 query component and a float32 row component (widened exactly) rounded once, each
 * addition rounded once, as the JavaScript loops did. What SIMD buys is two rows per instruction,
 * and eight rows in flight, so the additions of four independent lane pairs overlap.
 *
 * Both functions take `(rows, groups, rowBytes, query, sums)`, all byte addresses in the memory or
 * counts: at `rows`, a list of 8 × `groups` i32 addresses, one per row to sum (any rows, in any
 * order: the search sums only those it has not ruled out), each row `rowBytes` long (a multiple of
 * 16: rows are zero-padded to a multiple of 4 components); the query is `rowBytes / 4` float64
 * components at `query` (zero-padded likewise); the listed rows' float64 sums go to `sums`, in the
 * list's order.
 * Zero padding changes no sum: adding +0 (0 × 0, or (0 − 0)²) leaves a sum that started at +0 as
 * it was.
 *
 * Two more functions, `approximateDot` and `approximateSquaredDistance`, compute the same sums
 * cheaply and inexactly, for search.ts to rule rows out before it sums them exactly: float32
 * arithmetic, four lanes holding four *components* of one row (lane j sums components j, j + 4,
 * …, so in a different order), eight rows in flight, the four lanes added pairwise at the end.
 * Same parameters, except that `query` is the query's float32 copy (`rowBytes` bytes) and each
 * row's sum is one float32 (4 bytes) at `sums`. How far it can be from the exact sum is bounded in
 * score-bound.ts.
 */
import type { Instruction } from './wasm-encoding.js';
import { functionBody, functionType, MODULE_HEADER, name, op, section, SECTION, VALUE_TYPE, vector } from './wasm-encoding.js';

/** Rows per group: four lane pairs. Callers pad a list of rows to a multiple of it. */
export const KERNEL_GROUP_ROWS = 8;

// Locals: the five parameters, then the function's own.
const ROWS = 0;
const GROUPS = 1;
const ROW_BYTES = 2;
const QUERY = 3;
const SUMS = 4;
/** Byte offset of the current 4 components within a row. */
const OFFSET = 5;
/** Address of the current 4 query components. */
const QUERY_AT = 6;
/** Start of each of the group's 8 rows. */
const ROW_START = [7, 8, 9, 10, 11, 12, 13, 14] as const;
const I32_LOCALS = 10;
/** One sum accumulator per lane pair: rows (0, 1), (2, 3), (4, 5), (6, 7). */
const SUM = [15, 16, 17, 18] as const;
const FIRST = 19;
const SECOND = 20;
/** Components 0, 1 of the two rows interleaved: [a0, b0, a1, b1]. */
const LOW = 21;
/** Components 2, 3 likewise. */
const HIGH = 22;
/** Query component k of the four, in both lanes. */
const QUERY_COMPONENT = [23, 24, 25, 26] as const;
const DIFFERENCE = 27;
const V128_LOCALS = 13;

const INTERLEAVE_LOW = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const INTERLEAVE_HIGH = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
/** The high 8 bytes moved to the low half, where `promote_low` reads. */
const HIGH_HALF_DOWN = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

type Term = 'product' | 'squared difference';

/** `sum += q × v` or `sum += (q − v)²`, both lanes, with `v` (two widened components) computed by `rowLanes`. */
function accumulate(term: Term, sum: number, queryComponent: number, rowLanes: readonly Instruction[]): Instruction[] {
  const widened = [...rowLanes, op.f64x2PromoteLowF32x4];
  const addend: Instruction[] =
    term === 'product'
      ? [op.localGet(queryComponent), ...widened, op.f64x2Mul]
      : [op.localGet(queryComponent), ...widened, op.f64x2Sub, op.localTee(DIFFERENCE), op.localGet(DIFFERENCE), op.f64x2Mul];
  return [op.localGet(sum), ...addend, op.f64x2Add, op.localSet(sum)];
}

/** One lane pair's work for 4 components: rows `2·pair` and `2·pair + 1`. */
function pairStep(term: Term, pair: number): Instruction[] {
  const load = (row: number, into: number): Instruction[] => [op.localGet(ROW_START[row] as number), op.localGet(OFFSET), op.i32Add, op.v128Load(), op.localSet(into)];
  const interleave = (lanes: readonly number[], into: number): Instruction[] => [op.localGet(FIRST), op.localGet(SECOND), op.i8x16Shuffle(lanes), op.localSet(into)];
  const sum = SUM[pair] as number;
  const q = (k: number) => QUERY_COMPONENT[k] as number;
  return [
    ...load(2 * pair, FIRST),
    ...load(2 * pair + 1, SECOND),
    ...interleave(INTERLEAVE_LOW, LOW),
    ...interleave(INTERLEAVE_HIGH, HIGH),
    ...accumulate(term, sum, q(0), [op.localGet(LOW)]),
    ...accumulate(term, sum, q(1), [op.localGet(LOW), op.localGet(LOW), op.i8x16Shuffle(HIGH_HALF_DOWN)]),
    ...accumulate(term, sum, q(2), [op.localGet(HIGH)]),
    ...accumulate(term, sum, q(3), [op.localGet(HIGH), op.localGet(HIGH), op.i8x16Shuffle(HIGH_HALF_DOWN)]),
  ];
}

const set = (local: number, ...value: Instruction[]): Instruction[] => [...value, op.localSet(local)];

/**
 * The loops every function shares: for each group of 8 listed rows, read their addresses, zero
 * `accumulators`, run `step` once per 4 components (with OFFSET the components' byte offset in a
 * row and QUERY_AT the query's address, advanced by `queryBytesPerStep`), then `storeSums`.
 */
function kernelFunctionBody(v128Locals: number, accumulators: readonly number[], step: readonly Instruction[], queryBytesPerStep: number, storeSums: readonly Instruction[]): number[] {
  const componentLoop = [
    op.block,
    op.loop,
    op.localGet(OFFSET),
    op.localGet(ROW_BYTES),
    op.i32GeU,
    op.brIf(1),
    ...step,
    ...set(OFFSET, op.localGet(OFFSET), op.i32Const(16), op.i32Add),
    ...set(QUERY_AT, op.localGet(QUERY_AT), op.i32Const(queryBytesPerStep), op.i32Add),
    op.br(0),
    op.end,
    op.end,
  ];
  const groupLoop = [
    op.block,
    op.loop,
    op.localGet(GROUPS),
    op.i32Eqz,
    op.brIf(1),
    ...ROW_START.flatMap((local, row) => set(local, op.localGet(ROWS), op.i32Load(4 * row))),
    ...accumulators.flatMap((local) => set(local, op.v128Zero)),
    ...set(OFFSET, op.i32Const(0)),
    ...set(QUERY_AT, op.localGet(QUERY)),
    ...componentLoop,
    ...storeSums,
    ...set(ROWS, op.localGet(ROWS), op.i32Const(4 * KERNEL_GROUP_ROWS), op.i32Add),
    ...set(GROUPS, op.localGet(GROUPS), op.i32Const(1), op.i32Sub),
    op.br(0),
    op.end,
    op.end,
  ];
  return functionBody(
    [
      [I32_LOCALS, VALUE_TYPE.i32],
      [v128Locals, VALUE_TYPE.v128],
    ],
    groupLoop,
  );
}

function kernelBody(term: Term): number[] {
  const step = [
    ...QUERY_COMPONENT.flatMap((local, k) => set(local, op.localGet(QUERY_AT), op.v128Load64Splat(8 * k))),
    ...[0, 1, 2, 3].flatMap((pair) => pairStep(term, pair)),
  ];
  const storeSums = [
    ...SUM.flatMap((local, pair) => [op.localGet(SUMS), op.localGet(local), op.v128Store(16 * pair)]),
    ...set(SUMS, op.localGet(SUMS), op.i32Const(16 * SUM.length), op.i32Add),
  ];
  return kernelFunctionBody(V128_LOCALS, SUM, step, 32, storeSums);
}

// The approximate functions' v128 locals, after the same i32 ones.
/** One float32x4 accumulator per row of the group. */
const LANES = [15, 16, 17, 18, 19, 20, 21, 22] as const;
/** Four query components (float32). */
const QUERY_LANES = 23;
const LANE_DIFFERENCE = 24;
const APPROXIMATE_V128_LOCALS = 10;
/** Lanes (2, 3, 0, 1), then (1, 0, 3, 2): adding each to the lanes as they were totals lanes 0–3 in lane 0. */
const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const SWAP_NEIGHBOURS = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];

function approximateBody(term: Term): number[] {
  const addend = (row: number): Instruction[] => {
    const components = [op.localGet(ROW_START[row] as number), op.localGet(OFFSET), op.i32Add, op.v128Load()];
    return term === 'product'
      ? [op.localGet(QUERY_LANES), ...components, op.f32x4Mul]
      : [op.localGet(QUERY_LANES), ...components, op.f32x4Sub, op.localTee(LANE_DIFFERENCE), op.localGet(LANE_DIFFERENCE), op.f32x4Mul];
  };
  const step = [
    ...set(QUERY_LANES, op.localGet(QUERY_AT), op.v128Load()),
    ...LANES.flatMap((lanes, row) => [op.localGet(lanes), ...addend(row), op.f32x4Add, op.localSet(lanes)]),
  ];
  const storeSums = [
    ...LANES.flatMap((local, row) => [
      // lanes + shuffled lanes: the add's first operand, then the shuffle's two.
      ...set(local, op.localGet(local), op.localGet(local), op.localGet(local), op.i8x16Shuffle(SWAP_HALVES), op.f32x4Add),
      op.localGet(SUMS),
      ...[op.localGet(local), op.localGet(local), op.localGet(local), op.i8x16Shuffle(SWAP_NEIGHBOURS), op.f32x4Add],
      op.f32x4ExtractLane(0),
      op.f32Store(4 * row),
    ]),
    ...set(SUMS, op.localGet(SUMS), op.i32Const(4 * LANES.length), op.i32Add),
  ];
  return kernelFunctionBody(APPROXIMATE_V128_LOCALS, LANES, step, 16, storeSums);
}

/** The module: imports `env.memory`, exports `dot`, `squaredDistance`, `approximateDot` and `approximateSquaredDistance` (functions 0–3). */
function moduleBytes(): Uint8Array {
  const i32 = VALUE_TYPE.i32;
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, 0x00]; // memory, limits: min 0, no max
  const exported = (text: string, index: number) => [...name(text), 0x00, index];
  return Uint8Array.from([
    ...MODULE_HEADER,
    ...section(SECTION.type, vector([functionType([i32, i32, i32, i32, i32], [])])),
    ...section(SECTION.import, vector([memoryImport])),
    ...section(SECTION.function, vector([[0], [0], [0], [0]])),
    ...section(SECTION.export, vector([exported('dot', 0), exported('squaredDistance', 1), exported('approximateDot', 2), exported('approximateSquaredDistance', 3)])),
    ...section(
      SECTION.code,
      vector([kernelBody('product'), kernelBody('squared difference'), approximateBody('product'), approximateBody('squared difference')]),
    ),
  ]);
}

/** `(rows, groups, rowBytes, query, sums)`, as described at the top of this file. */
export type KernelFunction = (rows: number, groups: number, rowBytes: number, query: number, sums: number) => void;

export interface ScanKernel {
  /** Dot products with the query (COSINE, IP). */
  readonly dot: KernelFunction;
  /** Sums of squared differences from the query (L2). */
  readonly squaredDistance: KernelFunction;
  /** `dot`'s sums in float32, in 4 partial sums per row (the query as float32). */
  readonly approximateDot: KernelFunction;
  /** `squaredDistance`'s likewise. */
  readonly approximateSquaredDistance: KernelFunction;
}

/**
 * The part of the WebAssembly JS API the storage and the kernel use. Node has had it since v8, but
 * this project's TypeScript libraries (ES2023 and @types/node 20, no DOM) do not declare it, and a
 * global declaration would leak into the package's published types: so it is typed here, once.
 */
export interface KernelMemory {
  /** Replaced by a new `ArrayBuffer` after each `grow` (views of the old one read nothing). */
  readonly buffer: ArrayBuffer;
  /** Adds `pages` pages of 64 KiB, zeroed; throws a `RangeError` past the limit. */
  grow(pages: number): number;
}

interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number }) => KernelMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: { env: { memory: KernelMemory } }) => { exports: Record<string, unknown> };
}

const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A new, zeroed memory of `pages` pages of 64 KiB. */
export function kernelMemory(pages: number): KernelMemory {
  return new wasm.Memory({ initial: pages });
}

let compiled: object | undefined;

/** The kernel's functions over `memory`; the module is compiled once per process, on first use. */
export function scanKernel(memory: KernelMemory): ScanKernel {
  compiled ??= new wasm.Module(moduleBytes());
  const { exports } = new wasm.Instance(compiled, { env: { memory } });
  return {
    dot: exports['dot'] as KernelFunction,
    squaredDistance: exports['squaredDistance'] as KernelFunction,
    approximateDot: exports['approximateDot'] as KernelFunction,
    approximateSquaredDistance: exports['approximateSquaredDistance'] as KernelFunction,
  };
}
