import { describe, expect, it } from 'vitest';
import { matchGlob } from './glob.js';

describe('matchGlob (Redis stringmatchlen semantics)', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything', true],
    ['**', '', false],
    ['', '', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hallo', true],
    ['h[a-b]llo', 'hcllo', false],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['a[\\]]b', 'a]b', true],
    ['a[bc', 'ab', true],
    ['a[bc', 'abc', false],
    ['ab\\', 'ab\\', true],
    ['a*', 'a', true],
    ['a**', 'a', true],
    ['*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(60), false],
  ])('%j vs %j → %s', (pattern, subject, expected) => {
    expect(matchGlob(pattern, subject)).toBe(expected);
  });

  it('compares bytes, not characters', () => {
    const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    expect(matchGlob(latin1('?'), latin1('é'))).toBe(false);
    expect(matchGlob(latin1('??'), latin1('é'))).toBe(true);
  });

  it('orders bytes in ranges as signed chars, as Redis does', () => {
    // [\xa9-a] spans -87..97 when chars are signed: '-' is inside, 'b' is not.
    expect(matchGlob('[\xa9-a]', '-')).toBe(true);
    expect(matchGlob('[\xa9-a]', 'b')).toBe(false);
    expect(matchGlob('[\xa9-a]', '\xb0')).toBe(true);
    expect(matchGlob('[\xa9-a]', '\x90')).toBe(false);
  });
});
