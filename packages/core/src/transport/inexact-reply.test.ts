import { describe, expect, it } from 'vitest';
import { FerriteUnsupportedError, isUnsupportedError } from '../errors.js';
import { FerriteInexactReplyError, exactInteger } from './inexact-reply.js';

describe('exactInteger', () => {
  it('passes every safe integer through', () => {
    for (const value of [0, -42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) expect(exactInteger(value, 'INCR', 'test')).toBe(value);
  });

  it('refuses every integer a double may have rounded: each 64-bit integer from 2^53 up reads as an unsafe number', () => {
    for (const exact of [2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const rounded = Number(exact);
      const error = (() => {
        try {
          exactInteger(rounded, 'incrby', 'valkey-glide');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(FerriteInexactReplyError);
      expect(error).toBeInstanceOf(FerriteUnsupportedError);
      expect(isUnsupportedError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'UNSUPPORTED', command: 'INCRBY', transport: 'valkey-glide' });
      expect((error as Error).message).toBe(`INCRBY ran, but the valkey-glide transport cannot read its reply exactly: an integer beyond ±(2^53 − 1) reached it as the rounded number ${rounded}`);
    }
  });
});
