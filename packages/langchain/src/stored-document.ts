import { FerriteValidationError } from '@ferrite/core';
import type { MetadataValue, StoredMetadata } from '@ferrite/vector';

/** The metadata field holding a document's page content. */
export const CONTENT_FIELD = '_lc_content';
/** The metadata field holding a document's whole metadata as JSON, nested values included. */
export const METADATA_FIELD = '_lc_metadata';

/** The FILTER grammar's field syntax (PROTOCOL.md §2): only such names can be filtered on. */
const FILTERABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
/** Read as keywords wherever they appear in a FILTER expression, so they cannot name a field. */
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN']);

function isFilterableName(name: string): boolean {
  return FILTERABLE_NAME.test(name) && !KEYWORDS.has(name.toUpperCase()) && name !== CONTENT_FIELD && name !== METADATA_FIELD;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function flatValue(value: unknown): MetadataValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

/**
 * The scalar fields of `metadata`, flat, for the server's FILTER: top-level strings, finite
 * numbers and booleans under their own names, and those of nested plain objects under dotted
 * paths (`{ source: { page: 3 } }` gives `source.page`). Arrays, `null` and names the FILTER
 * grammar cannot express are left out; they still round-trip through the JSON copy.
 */
export function flatMetadata(metadata: Record<string, unknown>, prefix = '', into: Record<string, MetadataValue> = {}): Record<string, MetadataValue> {
  for (const [key, value] of Object.entries(metadata)) {
    const name = prefix + key;
    if (!isFilterableName(name)) continue;
    const flat = flatValue(value);
    if (flat !== undefined) into[name] = flat;
    else if (isPlainObject(value)) flatMetadata(value, `${name}.`, into);
  }
  return into;
}

export interface DocumentLike {
  readonly pageContent: string;
  readonly metadata?: Record<string, unknown> | undefined;
}

/** The metadata fields stored with a document's vector: its flat scalars, its content, and its metadata as JSON. */
export function storedFields(document: DocumentLike, position: number): Record<string, MetadataValue> {
  if (typeof document !== 'object' || document === null || typeof document.pageContent !== 'string') {
    throw new FerriteValidationError(`documents[${position}]`, 'expected a Document with a string pageContent');
  }
  const metadata = document.metadata ?? {};
  if (!isPlainObject(metadata)) {
    throw new FerriteValidationError(`documents[${position}].metadata`, 'expected a plain object');
  }
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch (error) {
    throw new FerriteValidationError(`documents[${position}].metadata`, `cannot be stored as JSON: ${(error as Error).message}`, { cause: error });
  }
  return { ...flatMetadata(metadata), [CONTENT_FIELD]: document.pageContent, [METADATA_FIELD]: json };
}

export interface ReadDocument {
  readonly pageContent: string;
  readonly metadata: Record<string, unknown>;
}

/**
 * A document as stored. A vector added without this package (no JSON copy, or one that is not an
 * object) reads back with its flat fields, as text, for metadata, and empty content if it has none.
 */
export function readStoredDocument(stored: StoredMetadata): ReadDocument {
  const pageContent = stored[CONTENT_FIELD] ?? '';
  const json = stored[METADATA_FIELD];
  if (json !== undefined) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (isPlainObject(parsed)) return { pageContent, metadata: parsed };
    } catch {
      // Not ours: fall through to the flat fields.
    }
  }
  const metadata: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(stored)) {
    if (field !== CONTENT_FIELD && field !== METADATA_FIELD) metadata[field] = value;
  }
  return { pageContent, metadata };
}
