import { CommandError } from '../reply.js';

export const SYNTAX_ERROR = 'ERR syntax error';
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_A_FLOAT = 'ERR value is not a valid float';

/** The signed 64-bit range of Redis integers; the one definition every command uses. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Redis' `string2ll`: optional `-`, no `+`, no leading zeros, no spaces, within signed 64 bits. */
export function parseInt64(arg: Buffer | string): bigint | undefined {
  const text = typeof arg === 'string' ? arg : arg.toString('latin1');
  if (text.length === 0 || text.length > 20) return undefined;
  if (text === '0') return 0n;
  if (!/^-?[1-9][0-9]*$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** An integer argument or `ERR value is not an integer or out of range` (or the given text). */
export function integerArg(arg: Buffer, message = NOT_AN_INTEGER): bigint {
  const value = parseInt64(arg);
  if (value === undefined) throw new CommandError(message);
  return value;
}

/** As {@link integerArg}, as a JS number (Redis `long`/`int` arguments that fit comfortably). */
export function smallIntegerArg(arg: Buffer, message = NOT_AN_INTEGER): number {
  return Number(integerArg(arg, message));
}

export function inInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** Redis' `string2d`/strtod: decimal or `inf`, no surrounding space, never NaN. */
export function parseDouble(arg: Buffer | string): number | undefined {
  const text = typeof arg === 'string' ? arg : arg.toString('latin1');
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

export function doubleArg(arg: Buffer, message = NOT_A_FLOAT): number {
  const value = parseDouble(arg);
  if (value === undefined) throw new CommandError(message);
  return value;
}
