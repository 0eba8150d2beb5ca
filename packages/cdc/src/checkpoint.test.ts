import { FerriteValidationError } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, isCheckpoint, type ChangeFeedCheckpoint, type LogPosition } from './checkpoint.js';

const log = (overrides: Partial<LogPosition>): LogPosition => ({ logId: undefined, epoch: undefined, node: undefined, next: 1, lastHanded: 0, ...overrides });

describe('checkpoints', () => {
  it('round-trip one place per log (log id, epoch, next id, last id handed over), as opaque `cdc2.` text', () => {
    const single = { logs: [log({ logId: 'a'.repeat(40), epoch: 3, next: 42, lastHanded: 40 })] };
    const text = encodeCheckpoint(single);
    expect(text).toMatch(/^cdc2\.[A-Za-z0-9_-]+$/);
    expect(decodeCheckpoint(text)).toEqual(single);
    const cluster = {
      logs: [log({ logId: 'b'.repeat(40), epoch: 0, next: 7, lastHanded: 6 }), log({ node: 'c'.repeat(40), next: 1 })],
    };
    expect(isCheckpoint(encodeCheckpoint(cluster))).toBe(true);
    // Survives storage as plain text.
    expect(decodeCheckpoint(JSON.parse(JSON.stringify(encodeCheckpoint(cluster))) as ChangeFeedCheckpoint)).toEqual(cluster);
  });

  it('still reads the `cdc1.` checkpoints of earlier versions (no log ids: the next id, per node on a cluster)', () => {
    const legacy = (body: unknown) => `cdc1.${Buffer.from(JSON.stringify(body)).toString('base64url')}` as ChangeFeedCheckpoint;
    expect(decodeCheckpoint(legacy({ s: 42 }))).toEqual({ logs: [log({ next: 42, lastHanded: 41 })] });
    expect(decodeCheckpoint(legacy({ c: { n1: 7 } }))).toEqual({ logs: [log({ node: 'n1', next: 7, lastHanded: 6 })] });
  });

  it('rejects damaged or foreign text with FerriteValidationError on from', () => {
    const body = (prefix: string, value: unknown) => `${prefix}${Buffer.from(JSON.stringify(value)).toString('base64url')}` as ChangeFeedCheckpoint;
    const id = 'a'.repeat(40);
    for (const bad of [
      'cdc1.' as ChangeFeedCheckpoint,
      'cdc2.%%%' as ChangeFeedCheckpoint,
      body('cdc1.', null),
      body('cdc1.', { s: 0 }),
      body('cdc1.', { s: 1.5 }),
      body('cdc1.', { c: { '': 1 } }),
      body('cdc1.', { c: [] }),
      body('cdc2.', { l: 'x' }),
      body('cdc2.', { l: [[id, 0, null, 1]] }),
      body('cdc2.', { l: [['not-hex', 0, null, 1, 0]] }),
      body('cdc2.', { l: [[id, null, null, 1, 0]] }),
      body('cdc2.', { l: [[id, -1, null, 1, 0]] }),
      body('cdc2.', { l: [[id, 0, null, 0, 0]] }),
      body('cdc2.', { l: [[id, 0, null, 5, 5]] }),
      body('cdc2.', { l: [[null, null, '', 5, 4]] }),
      body('cdc2.', { l: [[id, 0, null, 5, 4], [id, 1, null, 9, 8]] }),
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
