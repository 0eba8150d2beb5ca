import { describe, expect, it } from 'vitest';
import { FerriteConnectionError, FerriteError, FerriteValidationError, isAbortError, isConnectionError, isFerriteError, isMaybeApplied, isTimeoutError, isValidationError } from './index.js';

/** Error classes as a third-party plugin author writes them: no static `brand` of their own. */
class MyPluginError extends FerriteError {
  constructor(message: string) {
    super('REPLY', message);
  }
}
class MyOtherPluginError extends FerriteError {
  constructor(message: string) {
    super('REPLY', message);
  }
}
class MyBadInputError extends FerriteValidationError {}

describe('subclasses without a brand of their own', () => {
  it('match their own instances and their ancestors, not every Ferrite error', () => {
    const mine = new MyPluginError('boom');
    expect(mine).toBeInstanceOf(MyPluginError);
    expect(mine).toBeInstanceOf(FerriteError);
    expect(isFerriteError(mine)).toBe(true);
    expect(new FerriteConnectionError('lost') instanceof MyPluginError).toBe(false);
    expect(new FerriteError('REPLY', 'plain') instanceof MyPluginError).toBe(false);
  });

  it('tell siblings apart', () => {
    expect(new MyPluginError('a') instanceof MyOtherPluginError).toBe(false);
    expect(new MyOtherPluginError('b') instanceof MyPluginError).toBe(false);
  });

  it('stay instances of a branded parent, which does not match them the other way round', () => {
    const bad = new MyBadInputError('name', 'too long');
    expect(bad).toBeInstanceOf(FerriteValidationError);
    expect(isValidationError(bad)).toBe(true);
    expect(new FerriteValidationError('name', 'too long') instanceof MyBadInputError).toBe(false);
    expect(new MyPluginError('x') instanceof MyBadInputError).toBe(false);
  });
});

describe('a plugin error that wraps a timeout, a lost connection or an abort', () => {
  class WrappedOutcome extends FerriteError {
    static override readonly brand: string = 'test/WrappedOutcome';
    readonly maybeApplied = true;
  }

  it('answers the guard of the code it carries, and isMaybeApplied', () => {
    const timeout = new WrappedOutcome('TIMEOUT', 'the increment may have been applied');
    expect([isTimeoutError(timeout), isConnectionError(timeout), isAbortError(timeout)]).toEqual([true, false, false]);
    expect(isConnectionError(new WrappedOutcome('CONNECTION', 'lost'))).toBe(true);
    expect(isAbortError(new WrappedOutcome('ABORTED', 'aborted'))).toBe(true);
    expect(isMaybeApplied(timeout)).toBe(true);
    // A plain error with the code but nothing to say about the command is not a wrapped outcome.
    expect(isTimeoutError(new FerriteError('TIMEOUT', 'a timeout of something else'))).toBe(false);
  });
});
