/**
 * Glob matching with the semantics of Redis' `stringmatchlen` (KEYS, SCAN MATCH, HSCAN, CDC
 * patterns): `*`, `?`, `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), `\` escapes, and the
 * same treatment of odd patterns (an unterminated `[` matches as if closed at the end, a trailing
 * `\` matches a literal `\`). Pattern and subject are latin1 binary strings (one char per byte),
 * so comparisons are bytewise, as in Redis.
 *
 * A lone `*` matches everything, the empty string included: Redis' KEYS and SCAN short-cut that
 * pattern before calling `stringmatchlen` (which on its own never matches an empty subject).
 */
export function matchGlob(pattern: string, subject: string): boolean {
  if (pattern === '*') return true;
  return matchFrom(pattern, 0, subject, 0, { skipLongerMatches: false });
}

interface MatchState {
  /**
   * Set once a `*` has tried every remaining suffix of the subject and failed: an outer `*`
   * cannot do better by consuming more, which keeps patterns like `a*a*a*a*b` linear-ish
   * instead of exponential (Redis does the same).
   */
  skipLongerMatches: boolean;
}

function matchFrom(pattern: string, p: number, subject: string, s: number, state: MatchState): boolean {
  const patternEnd = pattern.length;
  const subjectEnd = subject.length;
  while (p < patternEnd && s < subjectEnd) {
    const c = pattern.charCodeAt(p);
    if (c === 0x2a /* * */) {
      while (p + 1 < patternEnd && pattern.charCodeAt(p + 1) === 0x2a) p++;
      if (p + 1 === patternEnd) return true;
      while (s < subjectEnd) {
        if (matchFrom(pattern, p + 1, subject, s, state)) return true;
        if (state.skipLongerMatches) return false;
        s++;
      }
      state.skipLongerMatches = true;
      return false;
    } else if (c === 0x3f /* ? */) {
      s++;
    } else if (c === 0x5b /* [ */) {
      p++;
      const negate = p < patternEnd && pattern.charCodeAt(p) === 0x5e; /* ^ */
      if (negate) p++;
      const target = subject.charCodeAt(s);
      let matched = false;
      for (;;) {
        if (p >= patternEnd) {
          // Unterminated class: step back so the shared `p++` below lands on the end.
          p--;
          break;
        }
        const pc = pattern.charCodeAt(p);
        if (pc === 0x5c /* \ */ && patternEnd - p >= 2) {
          p++;
          if (pattern.charCodeAt(p) === target) matched = true;
        } else if (pc === 0x5d /* ] */) {
          break;
        } else if (patternEnd - p >= 3 && pattern.charCodeAt(p + 1) === 0x2d /* - */) {
          // Redis compares `char`s, signed on the platforms it ships on: bytes ≥ 0x80 sort below 0.
          let start = signedByte(pc);
          let end = signedByte(pattern.charCodeAt(p + 2));
          if (start > end) [start, end] = [end, start];
          p += 2;
          const signedTarget = signedByte(target);
          if (signedTarget >= start && signedTarget <= end) matched = true;
        } else if (pc === target) {
          matched = true;
        }
        p++;
      }
      if (negate) matched = !matched;
      if (!matched) return false;
      s++;
    } else {
      if (c === 0x5c /* \ */ && patternEnd - p >= 2) p++;
      if (pattern.charCodeAt(p) !== subject.charCodeAt(s)) return false;
      s++;
    }
    p++;
    if (s === subjectEnd) {
      while (p < patternEnd && pattern.charCodeAt(p) === 0x2a) p++;
      break;
    }
  }
  return p === patternEnd && s === subjectEnd;
}

function signedByte(code: number): number {
  return code >= 0x80 ? code - 0x100 : code;
}
