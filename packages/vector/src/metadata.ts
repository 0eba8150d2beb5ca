import { assertName, FerriteValidationError } from '@ferrite/core';
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

export type MetadataFieldType = 'string' | 'number' | 'boolean';
export type MetadataSchema = { readonly [field: string]: MetadataFieldType };

type Decoded<Schema extends MetadataSchema> = {
  -readonly [K in keyof Schema]?: Schema[K] extends 'number' ? number : Schema[K] extends 'boolean' ? boolean : string;
};

/**
 * A `decode` for typed handles: turns the stored text back into numbers and booleans, field by
 * field. Fields the vector lacks stay absent; a number field whose text is not a finite number
 * comes back as `NaN`; a boolean field is `true` only for the text `true`. Fields outside the
 * schema are dropped.
 */
export function metadataDecoder<const Schema extends MetadataSchema>(
  schema: Schema,
): (stored: StoredMetadata) => Decoded<Schema> {
  const fields = Object.entries(schema);
  return (stored) => {
    const decoded: Record<string, MetadataValue> = {};
    for (const [field, type] of fields) {
      if (!Object.hasOwn(stored, field)) continue;
      const text = stored[field] as string;
      decoded[field] = type === 'number' ? storedNumber(text) : type === 'boolean' ? text === 'true' : text;
    }
    return decoded as Decoded<Schema>;
  };
}
