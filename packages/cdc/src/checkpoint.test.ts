import { FerriteValidationError } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, isCheckpoint, type ChangeFeedCheckpoint } from './checkpoint.js';

describe('checkpoints', () => {
  it('round-trip one server and a cluster, as opaque `cdc1.` text', () => {
    const single = encodeCheckpoint({ kind: 'single', next: 42 });
    expect(single).toMatch(/^cdc1\.[A-Za-z0-9_-]+$/);
    expect(decodeCheckpoint(single)).toEqual({ kind: 'single', next: 42 });
    const nodes = new Map([
      ['a'.repeat(40), 7],
      ['b'.repeat(40), 1],
    ]);
    const cluster = encodeCheckpoint({ kind: 'cluster', nodes });
    expect(isCheckpoint(cluster)).toBe(true);
    expect(decodeCheckpoint(cluster)).toEqual({ kind: 'cluster', nodes });
    // Survives storage as plain text.
    expect(decodeCheckpoint(JSON.parse(JSON.stringify(cluster)) as ChangeFeedCheckpoint)).toEqual({ kind: 'cluster', nodes });
  });

  it('rejects damaged or foreign text with FerriteValidationError on from', () => {
    const body = (value: unknown) => `cdc1.${Buffer.from(JSON.stringify(value)).toString('base64url')}` as ChangeFeedCheckpoint;
    for (const bad of [
      'cdc1.' as ChangeFeedCheckpoint,
      'cdc1.%%%' as ChangeFeedCheckpoint,
      body(null),
      body([1]),
      body({ s: 0 }),
      body({ s: 1.5 }),
      body({ s: '3' }),
      body({ c: { '': 1 } }),
      body({ c: { n: -1 } }),
      body({ c: [] }),
      'latest' as ChangeFeedCheckpoint,
    ]) {
      const error = (() => {
        try {
          decodeCheckpoint(bad);
          return undefined;
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, bad).toBeInstanceOf(FerriteValidationError);
      expect((error as FerriteValidationError).field).toBe('from');
    }
  });
});
