import { FerriteValidationError } from '@ferrite/core';
import { assertName } from '@ferrite/core/validate';

/** The signed 64-bit range of PROTOCOL.md §1, which every counter value and amount lives in. */
export const INT64_MAX = (1n << 63n) - 1n;
export const INT64_MIN = -(1n << 63n);

export function assertCrdtKey(key: unknown): asserts key is string {
  assertName(key, 'key');
}

export function assertOpId(opId: unknown): asserts opId is string {
  assertName(opId, 'opId');
}

/**
 * An amount in number mode: a safe integer. An integer beyond ±(2^53 − 1) is not rejected for
 * being too big for the server but because a `number` cannot hold it exactly, so the message
 * points to bigint mode.
 */
export function assertSafeAmount(value: unknown, field: string): asserts value is number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return;
  if (typeof value === 'number' && Number.isInteger(value)) {
    throw new FerriteValidationError(
      field,
      `${value} is outside ±(2^53 − 1), where a number is exact; use counter(key, { bigint: true }) for larger amounts`,
    );
  }
  if (typeof value === 'bigint') {
    throw new FerriteValidationError(field, 'expected a number, got a bigint; use counter(key, { bigint: true }) for bigint amounts');
  }
  throw new FerriteValidationError(field, `expected a whole number, got ${describe(value)}`);
}

/** An amount in bigint mode: a bigint in signed 64 bits. */
export function assertInt64Amount(value: unknown, field: string): asserts value is bigint {
  if (typeof value !== 'bigint') {
    throw new FerriteValidationError(field, `expected a bigint (this counter is in bigint mode), got ${describe(value)}`);
  }
  if (value > INT64_MAX || value < INT64_MIN) {
    throw new FerriteValidationError(field, `${value} is outside the signed 64-bit range ${INT64_MIN} to ${INT64_MAX}`);
  }
}

/** A member list for CRDT.SET.ADD / CRDT.SET.REM: at least one string. Members are binary-safe, so any string is allowed. */
export function assertMembers(members: readonly unknown[]): asserts members is readonly string[] {
  if (members.length === 0) throw new FerriteValidationError('members', 'expected at least one member');
  for (const [i, member] of members.entries()) {
    if (typeof member !== 'string') throw new FerriteValidationError('members', `member ${i} is not a string (${describe(member)})`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
