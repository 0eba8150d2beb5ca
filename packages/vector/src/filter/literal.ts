import { FerriteValidationError } from '@ferrite/core';

/** {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#vector-search | the wire contract}: `field := [A-Za-z_][A-Za-z0-9_.:-]*`. */
const FIELD = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
/** The tokenizer reads these as keywords wherever they appear, so they cannot name a field. */
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN']);

/** A field name as the FILTER grammar accepts it; anything else is rejected, never escaped. */
export function filterField(field: unknown): string {
  if (typeof field !== 'string' || !FIELD.test(field)) {
    throw new FerriteValidationError(
      'filter field',
      `${JSON.stringify(field)} does not match the FILTER field syntax [A-Za-z_][A-Za-z0-9_.:-]*`,
    );
  }
  if (KEYWORDS.has(field.toUpperCase())) {
    throw new FerriteValidationError('filter field', `"${field}" is a FILTER keyword and cannot name a field`);
  }
  return field;
}

/**
 * A value as a FILTER literal. Strings are quoted with inner quotes doubled (`'it''s'`), which is
 * the only escape the grammar has, so no string can end the literal early. Numbers become number
 * literals (`String(n)` always matches the grammar's number syntax for finite numbers). Booleans
 * become the string literals `'true'`/`'false'`, matching how metadata stores them.
 */
export function filterLiteral(value: unknown, field: string): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'boolean') return value ? "'true'" : "'false'";
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new FerriteValidationError('filter value', `${field}: expected a finite number, got ${value}`);
    }
    return String(value);
  }
  throw new FerriteValidationError('filter value', `${field}: expected a string, a number or a boolean, got ${value === null ? 'null' : typeof value}`);
}
