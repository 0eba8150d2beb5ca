import { FerriteValidationError } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { CONTENT_FIELD, flatMetadata, METADATA_FIELD, readStoredDocument, storedFields } from './stored-document.js';

describe('flatMetadata', () => {
  it('keeps scalars, walks nested plain objects by dotted path, and leaves out what FILTER cannot use', () => {
    expect(
      flatMetadata({
        lang: 'en',
        year: 2024,
        ok: true,
        source: { page: 3, file: { name: 'a.md' }, list: [1] },
        tags: ['a', 'b'],
        nothing: null,
        inf: Number.POSITIVE_INFINITY,
        nan: Number.NaN,
        'has space': 'x',
        '9lives': 'x',
        and: 'keyword',
        In: 'keyword',
        [CONTENT_FIELD]: 'reserved',
        [METADATA_FIELD]: 'reserved',
        when: new Date(0),
      }),
    ).toEqual({ lang: 'en', year: 2024, ok: true, 'source.page': 3, 'source.file.name': 'a.md' });
  });
});

describe('storedFields / readStoredDocument', () => {
  it('round-trips content and metadata through text', () => {
    const metadata = { a: { b: [1, { c: null }] }, s: 'x' };
    const stored = storedFields({ pageContent: 'body', metadata }, 0);
    const text = Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, String(v)]));
    expect(readStoredDocument(text)).toEqual({ pageContent: 'body', metadata });
  });

  it('rejects what cannot be stored, naming the document', () => {
    expect(() => storedFields({ pageContent: 1 as unknown as string }, 3)).toThrow(/documents\[3\]/);
    expect(() => storedFields({ pageContent: 'x', metadata: [] as unknown as Record<string, unknown> }, 1)).toThrow(FerriteValidationError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => storedFields({ pageContent: 'x', metadata: cyclic }, 0)).toThrow(/cannot be stored as JSON/);
  });

  it('falls back to the flat fields when the JSON copy is missing or not an object', () => {
    expect(readStoredDocument({ lang: 'de' })).toEqual({ pageContent: '', metadata: { lang: 'de' } });
    expect(readStoredDocument({ [CONTENT_FIELD]: 'c', [METADATA_FIELD]: '[1]', k: 'v' })).toEqual({ pageContent: 'c', metadata: { k: 'v' } });
    expect(readStoredDocument({ [METADATA_FIELD]: '{broken', k: 'v' })).toEqual({ pageContent: '', metadata: { k: 'v' } });
  });
});
