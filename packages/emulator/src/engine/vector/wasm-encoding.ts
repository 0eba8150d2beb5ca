/**
 * Just enough of the WebAssembly binary format (core spec §5, SIMD proposal's opcodes) to write the
 * scan kernel's module by hand in scan-kernel.ts: no toolchain, and every byte of the module is
 * readable in this repository. Instructions are plain byte arrays; the helpers name them.
 */

/** Unsigned LEB128, the format's encoding of every count, index and size. */
export function unsigned(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 of a 32-bit integer (i32.const's immediate). */
export function signed(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A length-prefixed byte string (names, function bodies, section contents). */
export function sized(bytes: readonly number[]): number[] {
  return [...unsigned(bytes.length), ...bytes];
}

/** A vector: its element count, then the elements. */
export function vector(elements: readonly (readonly number[])[]): number[] {
  return [...unsigned(elements.length), ...elements.flat()];
}

export function name(text: string): number[] {
  return sized([...Buffer.from(text, 'utf8')]);
}

export function section(id: number, contents: readonly number[]): number[] {
  return [id, ...sized(contents)];
}

export const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
export const VALUE_TYPE = { i32: 0x7f, v128: 0x7b } as const;
export const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A function type: 0x60, the parameter types, the result types. */
export function functionType(parameters: readonly number[], results: readonly number[]): number[] {
  return [0x60, ...sized(parameters), ...sized(results)];
}

/** A function body: its extra locals as (count, type) runs, its instructions, `end`. */
export function functionBody(locals: readonly (readonly [number, number])[], instructions: readonly Instruction[]): number[] {
  return sized([...vector(locals.map(([count, type]) => [...unsigned(count), type])), ...instructions.flat(), 0x0b]);
}

// ---- instructions ----

/** One instruction's bytes: opcode, then immediates. */
export type Instruction = readonly number[];

const EMPTY_BLOCK = 0x40;
/** The SIMD opcodes' prefix; the opcode follows as unsigned LEB128. */
const SIMD = 0xfd;
const simd = (opcode: number, ...immediates: number[]) => [SIMD, ...unsigned(opcode), ...immediates];
/** A memory access's alignment (log2 of bytes, a hint) and static offset added to the address. */
const memoryArgument = (alignLog2: number, offset: number) => [...unsigned(alignLog2), ...unsigned(offset)];

export const op = {
  block: [0x02, EMPTY_BLOCK],
  loop: [0x03, EMPTY_BLOCK],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...unsigned(depth)],
  brIf: (depth: number) => [0x0d, ...unsigned(depth)],
  localGet: (local: number) => [0x20, ...unsigned(local)],
  localSet: (local: number) => [0x21, ...unsigned(local)],
  localTee: (local: number) => [0x22, ...unsigned(local)],
  i32Const: (value: number) => [0x41, ...signed(value)],
  /** 4 bytes from memory as an i32 (here: a row's address from the list of rows to sum). */
  i32Load: (offset = 0) => [0x28, ...memoryArgument(2, offset)],
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  /** 16 bytes from memory (here: four float32 components of a row). */
  v128Load: (offset = 0) => simd(0x00, ...memoryArgument(2, offset)),
  /** One float64 read into both lanes (here: a query component). */
  v128Load64Splat: (offset = 0) => simd(0x0a, ...memoryArgument(3, offset)),
  v128Store: (offset = 0) => simd(0x0b, ...memoryArgument(4, offset)),
  f32Store: (offset = 0) => [0x38, ...memoryArgument(2, offset)],
  f32x4ExtractLane: (lane: number) => simd(0x1f, lane),
  v128Zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  /** Bytes of the result, each picking byte 0–15 of the first operand or 16–31 of the second. */
  i8x16Shuffle: (lanes: readonly number[]) => simd(0x0d, ...lanes),
  /** The two low float32 lanes, each widened to float64 (exactly: every float32 is a float64). */
  f64x2PromoteLowF32x4: simd(0x5f),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
} as const;
