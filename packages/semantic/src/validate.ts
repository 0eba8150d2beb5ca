import { assertName, FerriteValidationError } from '@ferrite/core';

/** A namespace is a routing key: non-empty, no CR, LF or NUL. */
export function assertNamespace(namespace: unknown): asserts namespace is string {
  assertName(namespace, 'namespace');
}

/**
 * Text may hold anything a prompt holds (newlines included), but not nothing: an empty or
 * blank prompt is almost always a template that rendered nothing, and every such prompt would
 * share one cached answer.
 */
export function assertText(text: unknown, field = 'text'): asserts text is string {
  if (typeof text !== 'string') throw new FerriteValidationError(field, `expected a string, got ${typeof text}`);
  if (text.trim().length === 0) throw new FerriteValidationError(field, 'must contain a non-whitespace character');
}

export function assertValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new FerriteValidationError('value', `expected a string, got ${typeof value}`);
}

/** A threshold is a similarity: a number from 0 to 1 inclusive (NaN is not a number here). */
export function assertThreshold(threshold: unknown): asserts threshold is number {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new FerriteValidationError('threshold', `expected a number from 0 to 1, got ${String(threshold)}`);
  }
  if (threshold < 0 || threshold > 1) throw new FerriteValidationError('threshold', `${threshold} is outside 0 to 1`);
}

/** A TTL is a whole number of seconds, at least 1 (the server rejects 0 and fractions). */
export function assertTtl(ttl: unknown): asserts ttl is number {
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 1) {
    throw new FerriteValidationError('ttl', `expected a positive whole number of seconds, got ${String(ttl)}`);
  }
}

/** A lookup budget in milliseconds: positive, or `Infinity` for the client's deadline alone. */
export function assertLookupTimeout(timeout: unknown): asserts timeout is number {
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout <= 0) {
    throw new FerriteValidationError('lookupTimeout', `expected a positive number of milliseconds or Infinity, got ${String(timeout)}`);
  }
}
