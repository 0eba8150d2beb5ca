/**
 * Replies as the engine produces them, before they are written in RESP2 or RESP3 (resp/encode.ts)
 * or handed to the in-process transport (memory-transport.ts). The engine decides the shape once;
 * only maps, nulls, doubles, booleans and sets differ between the protocols, and the encoders own that.
 */
export type EngineReply =
  | { readonly kind: 'simple'; readonly value: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'integer'; readonly value: bigint }
  /** With `verbatim`, RESP3 sends a verbatim string (`=` and the format, `txt`), as Redis does for CLUSTER INFO. */
  | { readonly kind: 'bulk'; readonly value: Buffer; readonly verbatim?: 'txt' }
  | { readonly kind: 'null' }
  /** RESP2 `*-1` (EXEC after a WATCH abort, …); RESP3 `_`. */
  | { readonly kind: 'null-array' }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'array'; readonly items: readonly EngineReply[] }
  | { readonly kind: 'set'; readonly items: readonly EngineReply[] }
  /** RESP2 sends it as a flat array `k1, v1, k2, v2…`. */
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [EngineReply, EngineReply]> };

export const OK: EngineReply = Object.freeze({ kind: 'simple', value: 'OK' });
export const NULL: EngineReply = Object.freeze({ kind: 'null' });
export const NULL_ARRAY: EngineReply = Object.freeze({ kind: 'null-array' });

export const simple = (value: string): EngineReply => ({ kind: 'simple', value });
export const errorReply = (message: string): EngineReply => ({ kind: 'error', message });
export const integer = (value: number | bigint): EngineReply => ({ kind: 'integer', value: BigInt(value) });
/** Strings are taken as UTF-8 text; engine keys and values held as latin1 "binary strings" go through {@link binary}. */
export const bulk = (value: Buffer | string): EngineReply => ({
  kind: 'bulk',
  value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
});
/** A bulk reply from a latin1 binary string (one char per byte), the engine's in-memory form of keys and values. */
export const binary = (value: string): EngineReply => ({ kind: 'bulk', value: Buffer.from(value, 'latin1') });
export const double = (value: number): EngineReply => ({ kind: 'double', value });
export const boolean = (value: boolean): EngineReply => ({ kind: 'boolean', value });
export const array = (items: readonly EngineReply[]): EngineReply => ({ kind: 'array', items });
export const set = (items: readonly EngineReply[]): EngineReply => ({ kind: 'set', items });
export const map = (entries: ReadonlyArray<readonly [EngineReply, EngineReply]>): EngineReply => ({ kind: 'map', entries });

/**
 * A command handler throws this to reply with an error. `message` is the whole error text,
 * prefix included (`ERR …`, `WRONGTYPE …`), exactly as docs/protocol.md or Redis words it.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
