import { describe, expect, it } from 'vitest';
import { FerriteValidationError } from './errors.js';
import { assertFiniteNumber, assertInteger, assertName } from './validate.js';

describe('validation', () => {
  it('accepts ordinary names, unicode included', () => {
    expect(() => assertName('docs:v1', 'index')).not.toThrow();
    expect(() => assertName('ünïcødé ✓', 'index')).not.toThrow();
  });

  it.each([
    ['', 'invalid index: must not be empty'],
    ['a\rb', 'invalid index: must not contain CR ("a\\rb")'],
    ['a\nb', 'invalid index: must not contain LF ("a\\nb")'],
    ['a\0b', 'invalid index: must not contain NUL ("a\\u0000b")'],
  ])('rejects %j', (name, message) => {
    expect(() => assertName(name, 'index')).toThrow(FerriteValidationError);
    expect(() => assertName(name, 'index')).toThrow(message);
  });

  it('rejects non-strings as names', () => {
    expect(() => assertName(42, 'id')).toThrow('invalid id: expected a string, got number');
  });

  it('checks integers and their range', () => {
    expect(() => assertInteger(5, 'topK', { min: 1, max: 10 })).not.toThrow();
    expect(() => assertInteger(0, 'topK', { min: 1, max: 10 })).toThrow('invalid topK: 0 is outside 1 to 10');
    expect(() => assertInteger(1.5, 'topK')).toThrow('invalid topK: expected an integer, got 1.5');
    expect(() => assertInteger(Number.NaN, 'topK')).toThrow(FerriteValidationError);
  });

  it('checks finite numbers and their range', () => {
    expect(() => assertFiniteNumber(0, 'threshold', { min: 0, max: 1 })).not.toThrow();
    expect(() => assertFiniteNumber(1.01, 'threshold', { min: 0, max: 1 })).toThrow('outside 0 to 1');
    expect(() => assertFiniteNumber(Number.NaN, 'threshold')).toThrow('expected a finite number, got NaN');
  });
});
