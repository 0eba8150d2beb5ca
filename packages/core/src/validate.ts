/**
 * Argument checks for plugin authors (`@ferrite/core/validate`): each throws a
 * `FerriteValidationError` naming the field, before anything is sent.
 *
 * @module
 */
import { FerriteValidationError, truncateForMessage } from './errors.js';

const FORBIDDEN_IN_NAMES = /[\r\n\0]/;

/**
 * Index names, namespaces, keys and ids: a non-empty string without CR, LF or NUL. Those
 * characters are legal in a bulk string but break logs, inline commands and tooling, and are
 * almost always a bug upstream (an unterminated line read from a file).
 */
export function assertName(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') throw new FerriteValidationError(field, `expected a string, got ${typeof value}`);
  if (value.length === 0) throw new FerriteValidationError(field, 'must not be empty');
  const bad = FORBIDDEN_IN_NAMES.exec(value);
  if (bad) {
    const which = bad[0] === '\r' ? 'CR' : bad[0] === '\n' ? 'LF' : 'NUL';
    throw new FerriteValidationError(field, `must not contain ${which} (${truncateForMessage(JSON.stringify(value))})`);
  }
}

/** Inclusive bounds for `assertInteger` and `assertFiniteNumber`. */
export interface IntegerRange {
  /** The smallest value allowed. */
  readonly min?: number;
  /** The largest value allowed. */
  readonly max?: number;
}

/** Throws a `FerriteValidationError` naming `field` unless `value` is a safe integer within `range`. */
export function assertInteger(value: unknown, field: string, range: IntegerRange = {}): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new FerriteValidationError(field, `expected an integer, got ${describeValue(value)}`);
  }
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (value < min || value > max) throw new FerriteValidationError(field, `${value} is outside ${min} to ${max}`);
}

/** Throws a `FerriteValidationError` naming `field` unless `value` is a finite number within `range`. */
export function assertFiniteNumber(value: unknown, field: string, range: IntegerRange = {}): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new FerriteValidationError(field, `expected a finite number, got ${describeValue(value)}`);
  }
  const { min = -Infinity, max = Infinity } = range;
  if (value < min || value > max) throw new FerriteValidationError(field, `${value} is outside ${min} to ${max}`);
}

/** A caller's value in an error message: its type for objects, at most 200 characters of text. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return truncateForMessage(JSON.stringify(value));
  return truncateForMessage(String(value));
}
