import type { EngineCommandSpec } from '../engine-context.js';

type KeySpec = readonly [firstKey: number, lastKey: number, step: number];

const NO_KEYS: KeySpec = [0, 0, 0];

/** Builds a command spec; `keys` defaults to none (`0, 0, 0`). */
export function command(
  name: string,
  arity: number,
  flags: readonly string[],
  handler: EngineCommandSpec['handler'],
  keys: KeySpec = NO_KEYS,
): EngineCommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], handler };
}

/** One key, the first argument. */
export const FIRST_KEY: KeySpec = [1, 1, 1];
/** Every argument is a key. */
export const ALL_KEYS: KeySpec = [1, -1, 1];
