import { FerriteValidationError } from '@ferrite/core';
import { assertName } from '@ferrite/core/validate';
import type { MetadataInput, MetadataValue, StoredMetadata } from './types.js';

/** How a metadata value goes on the wire: strings as they are, numbers as `String(n)`, booleans as `true`/`false`. */
export function metadataText(value: MetadataValue, field: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FerriteValidationError(field, `expected a finite number, got ${value}`);
    return String(value);
  }
  throw new FerriteValidationError(field, `expected a string, a number or a boolean, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Flattens metadata into `field, value, …` wire arguments, validating every field. */
export function encodeMetadata(metadata: MetadataInput | undefined): string[] {
  if (metadata === undefined) return [];
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new FerriteValidationError('metadata', `expected a plain object, got ${describe(metadata)}`);
  }
  const args: string[] = [];
  for (const field of Object.keys(metadata)) {
    const value = metadata[field];
    if (value === undefined) continue;
    assertName(field, 'metadata field name');
    args.push(field, metadataText(value, `metadata field "${field}"`));
  }
  return args;
}

/** `Number('')` is 0; an empty or blank text is not a number that was stored. */
function storedNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/** How a metadata field is read back from its stored text. */
export type MetadataFieldType = 'string' | 'number' | 'boolean';

type FieldKind<Value> = [Value] extends [string]
  ? 'string'
  : [Value] extends [number]
    ? 'number'
    : [Value] extends [boolean]
      ? 'boolean'
      : never;

type KindOf<Meta, K extends keyof Meta> = FieldKind<Exclude<Meta[K], undefined>>;

/**
 * How to read each field of `Meta` back from text. Number and boolean fields must be listed (the
 * compiler says which are missing); string fields need not be. A field mixing types (`string |
 * number`) cannot be described this way: use `decode`.
 */
export type MetadataFields<Meta> = {
  readonly [K in keyof Meta as KindOf<Meta, K> extends 'string' ? never : K]-?: KindOf<Meta, K>;
} & {
  readonly [K in keyof Meta as KindOf<Meta, K> extends 'string' ? K : never]?: 'string';
};

/**
 * Reads stored text back into numbers and booleans for the listed fields; other fields stay text.
 * A number field whose text is not a number (blank included) becomes `NaN`; a boolean field is
 * `true` only for the text `true`.
 */
export function decodeMetadataFields<Meta>(fields: MetadataFields<Meta>): (stored: StoredMetadata) => Partial<Meta> {
  const kinds = Object.entries(fields as Record<string, MetadataFieldType>);
  for (const [field, kind] of kinds) {
    if (kind !== 'string' && kind !== 'number' && kind !== 'boolean') {
      throw new FerriteValidationError('fields', `"${field}": expected 'string', 'number' or 'boolean', got ${JSON.stringify(kind)}`);
    }
  }
  return (stored) => {
    const decoded: Record<string, MetadataValue> = Object.assign(Object.create(null) as object, stored);
    for (const [field, kind] of kinds) {
      if (!Object.hasOwn(stored, field)) continue;
      const text = stored[field] as string;
      if (kind === 'number') decoded[field] = storedNumber(text);
      else if (kind === 'boolean') decoded[field] = text === 'true';
    }
    return decoded as Partial<Meta>;
  };
}
