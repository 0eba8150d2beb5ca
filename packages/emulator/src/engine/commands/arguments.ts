import { CommandError } from '../reply.js';

export const SYNTAX_ERROR = 'ERR syntax error';
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_A_FLOAT = 'ERR value is not a valid float';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

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

/**
 * A double as Redis 7.0 prints it (`%.17g`; `inf`, `-inf`), as ZSCORE and WITHSCORES send it.
 */
export function formatDouble(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential(16).split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 17) {
    const digits = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = exponent < 0 ? '-' : '+';
    return `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(16 - exponent);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** Reads trailing `NAME value` / `FLAG` options left to right. */
export class OptionReader {
  private index = 0;
  constructor(private readonly args: readonly Buffer[], start = 0) {
    this.index = start;
  }

  get done(): boolean {
    return this.index >= this.args.length;
  }

  /** The next option name, upper-cased. */
  next(): string {
    return (this.args[this.index++] as Buffer).toString('latin1').toUpperCase();
  }

  /** The value after an option, or `ERR syntax error` when there is none. */
  value(): Buffer {
    const value = this.args[this.index++];
    if (value === undefined) throw new CommandError(SYNTAX_ERROR);
    return value;
  }

  hasValue(): boolean {
    return this.index < this.args.length;
  }
}
