import { describe, expect, it } from 'vitest';
import { formatDouble } from './format-double.js';

describe('formatDouble (%.17g, as redis-server 7.0 prints scores)', () => {
  it.each([
    [1.1, '1.1000000000000001'],
    [0.1, '0.10000000000000001'],
    [1e20, '1e+20'],
    [123456789012345678, '1.2345678901234568e+17'],
    [1e-5, '1.0000000000000001e-05'],
    [0.0001, '0.0001'],
    [3.5, '3.5'],
    [-2.25e-7, '-2.2499999999999999e-07'],
    [1e17, '1e+17'],
    [1e16, '10000000000000000'],
    [0, '0'],
    [-0, '-0'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [Number.NaN, 'nan'],
  ])('%d → %s', (value, text) => {
    expect(formatDouble(value)).toBe(text);
  });
});
