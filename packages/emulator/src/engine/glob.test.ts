import fc from 'fast-check';
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

  it('matches a pattern of 200 000 stars without overflowing the stack', () => {
    const stars = '*'.repeat(200_000);
    expect(matchGlob(`${stars}x`, 'abcx')).toBe(true);
    expect(matchGlob(`${stars}x`, 'abcy')).toBe(false);
    expect(matchGlob(`a${'*b'.repeat(50_000)}`, `a${'b'.repeat(50_000)}`)).toBe(true);
    expect(matchGlob(`a${'*b'.repeat(50_000)}`, `a${'b'.repeat(49_999)}`)).toBe(false);
  });

  it('agrees with a plain backtracking reference on random patterns', () => {
    const alphabet = ['a', 'b', '*', '?', '[ab]', '[^a]', '\\*', '[a-b]'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 8 }).map((tokens) => tokens.join('')),
        fc.array(fc.constantFrom('a', 'b', '*'), { maxLength: 8 }).map((chars) => chars.join('')),
        (pattern, subject) => {
          expect(matchGlob(pattern, subject)).toBe(reference(pattern, subject));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** Exponential but obviously right, for short well-formed patterns (closed classes only). */
function reference(pattern: string, subject: string): boolean {
  if (pattern === '*') return true;
  if (subject === '') return pattern === '';
  const go = (p: number, s: number): boolean => {
    if (p === pattern.length) return s === subject.length;
    const c = pattern[p] as string;
    if (c === '*') return go(p + 1, s) || (s < subject.length && go(p, s + 1));
    if (s === subject.length) return false;
    const ch = subject[s] as string;
    if (c === '?') return go(p + 1, s + 1);
    if (c === '\\') return pattern[p + 1] === ch && go(p + 2, s + 1);
    if (c === '[') {
      const close = pattern.indexOf(']', p);
      let body = pattern.slice(p + 1, close);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      let hit = false;
      for (let i = 0; i < body.length; i++) {
        if (body[i + 1] === '-' && i + 2 < body.length) {
          const [lo, hi] = [body.charCodeAt(i), body.charCodeAt(i + 2)].sort((x, y) => x - y) as [number, number];
          if (ch.charCodeAt(0) >= lo && ch.charCodeAt(0) <= hi) hit = true;
          i += 2;
        } else if (body[i] === ch) hit = true;
      }
      return hit !== negate && go(close + 1, s + 1);
    }
    return c === ch && go(p + 1, s + 1);
  };
  return go(0, 0);
}
