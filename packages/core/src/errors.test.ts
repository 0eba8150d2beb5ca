import { describe, expect, it } from 'vitest';
import {
  classifyReplyError,
  FerriteConnectionError,
  FerriteError,
  FerriteReplyError,
  FerriteTimeoutError,
  FerriteUnsupportedError,
  FerriteValidationError,
  isConnectionError,
  isReplyError,
  isTimeoutError,
  isUnsupportedError,
  isValidationError,
} from './errors.js';

describe('classifyReplyError', () => {
  it.each([
    ['ERR Unknown index: docs', 'unknown-index'],
    ['ERR index not found', 'unknown-index'],
    ['ERR index already exists: docs', 'index-exists'],
    ['ERR dimension mismatch: expected 3, got 4', 'dimension-mismatch'],
    ['ERR syntax error in FILTER: unexpected end', 'filter-syntax'],
    ['ERR CDC position expired: oldest retained event is 7', 'cdc-position-expired'],
    ['ERR no such CDC subscription: 4', 'no-such-subscription'],
    ["ERR unknown command 'VECTOR.ADD', with args beginning with: 'x' ", 'unknown-command'],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', 'wrongtype'],
    ['NOAUTH Authentication required.', 'noauth'],
    ['WRONGPASS invalid username-password pair or user is disabled.', 'wrongpass'],
    ['ERR syntax error', 'other'],
  ] as const)('%s → %s', (message, kind) => {
    expect(classifyReplyError(message)).toBe(kind);
  });
});

describe('error classes', () => {
  it('keep the server text and the command name', () => {
    const error = new FerriteReplyError('vector.add', 'ERR dimension mismatch: expected 3, got 4');
    expect(error.message).toBe('ERR dimension mismatch: expected 3, got 4');
    expect(error.command).toBe('VECTOR.ADD');
    expect(error.kind).toBe('dimension-mismatch');
    expect(error.code).toBe('REPLY');
    expect(error.name).toBe('FerriteReplyError');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(FerriteError);
    expect(error).not.toBeInstanceOf(FerriteValidationError);
  });

  it('name the field in validation errors', () => {
    const error = new FerriteValidationError('topK', 'must be between 1 and 10000');
    expect(error.message).toBe('invalid topK: must be between 1 and 10000');
    expect(error.field).toBe('topK');
    expect(isValidationError(error)).toBe(true);
    expect(isReplyError(error)).toBe(false);
  });

  it('check brands, so errors from a second copy of the package are recognised', () => {
    // A class from a duplicated install: same brand string, unrelated prototype chain.
    class ForeignBase extends Error {
      static readonly brand: string = 'FerriteError';
    }
    class ForeignReplyError extends ForeignBase {
      static override readonly brand: string = 'FerriteReplyError';
      kind = 'wrongtype';
    }
    const foreign = new ForeignReplyError('WRONGTYPE …');
    Object.defineProperty(foreign, Symbol.for('@ferrite/core/error-brand'), {
      value: new Set(['FerriteError', 'FerriteReplyError']),
    });
    expect(foreign).toBeInstanceOf(FerriteReplyError);
    expect(foreign).toBeInstanceOf(FerriteError);
    expect(foreign).not.toBeInstanceOf(FerriteConnectionError);
    expect(isReplyError(foreign, 'wrongtype')).toBe(true);
    expect(isReplyError(foreign, 'noauth')).toBe(false);
    expect(new Error('plain')).not.toBeInstanceOf(FerriteError);
    expect(isReplyError({ message: 'duck' })).toBe(false);
  });

  it('give each failure its own class and check', () => {
    const timeout = new FerriteTimeoutError('get', 50);
    expect(timeout.message).toBe('GET timed out after 50 ms');
    expect(isTimeoutError(timeout)).toBe(true);
    const unsupported = new FerriteUnsupportedError('vector.search');
    expect(unsupported.message).toBe('this server does not support VECTOR.SEARCH');
    expect(isUnsupportedError(unsupported)).toBe(true);
    expect(isConnectionError(new FerriteConnectionError('closed'))).toBe(true);
    expect(isConnectionError(timeout)).toBe(false);
  });

  it('keep a cause when given one', () => {
    const cause = new Error('socket hang up');
    expect(new FerriteConnectionError('lost', { cause }).cause).toBe(cause);
    expect('cause' in new FerriteConnectionError('lost')).toBe(false);
  });
});
