import { FerriteError, FerriteReplyError, FerriteValidationError, isAbortError, isReplyError } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import {
  toVectorError,
  VectorAddManyAbortError,
  VectorDimensionMismatchError,
  VectorFilterSyntaxError,
  VectorIndexConflictError,
  VectorIndexExistsError,
  VectorIndexNotFoundError,
} from './errors.js';

const reply = (command: string, text: string) => new FerriteReplyError(command, text);

describe('toVectorError', () => {
  it.each([
    ['ERR Unknown index: docs', VectorIndexNotFoundError],
    ['ERR index not found', VectorIndexNotFoundError],
    ['ERR index already exists: docs', VectorIndexExistsError],
    ['ERR dimension mismatch: expected 3, got 2', VectorDimensionMismatchError],
    ["ERR syntax error in FILTER: unexpected character '!' at position 2", VectorFilterSyntaxError],
  ] as const)('maps %j, keeping the server text and the cause', (text, type) => {
    const original = reply('vector.search', text);
    const typed = toVectorError(original) as FerriteReplyError;
    expect(typed).toBeInstanceOf(type);
    expect(typed).toBeInstanceOf(FerriteReplyError);
    expect(isReplyError(typed)).toBe(true);
    expect(typed.message).toBe(text);
    expect(typed.serverMessage).toBe(text);
    expect(typed.command).toBe('VECTOR.SEARCH');
    expect(typed.cause).toBe(original);
  });

  it('reads the dimensions from a mismatch', () => {
    const typed = toVectorError(reply('VECTOR.ADD', 'ERR dimension mismatch: expected 384, got 3')) as VectorDimensionMismatchError;
    expect([typed.expected, typed.actual]).toEqual([384, 3]);
  });

  it('passes other errors through untouched', () => {
    const other = reply('VECTOR.ADD', 'ERR vector contains a non-finite value');
    expect(toVectorError(other)).toBe(other);
    const plain = new Error('x');
    expect(toVectorError(plain)).toBe(plain);
  });

  it('brands every class so the checks work across copies', () => {
    // Raised after round trips: the server's answer, never "nothing was sent".
    const conflict = new VectorIndexConflictError('i', { dim: 1, distance: 'L2' }, { dim: 2, distance: 'L2' });
    expect(conflict).toBeInstanceOf(FerriteReplyError);
    expect(conflict).not.toBeInstanceOf(FerriteValidationError);
    const abort = new VectorAddManyAbortError({ added: 3, failed: [] }, 'stop');
    expect(isAbortError(abort)).toBe(true);
    expect(abort).toBeInstanceOf(FerriteError);
    expect(abort.message).toBe('addMany was aborted after 3 vectors were added (0 failed)');
    // A structural look-alike with the brand set of another class is not one of ours.
    expect(reply('X', 'ERR Unknown index: a')).not.toBeInstanceOf(VectorIndexNotFoundError);
  });
});
