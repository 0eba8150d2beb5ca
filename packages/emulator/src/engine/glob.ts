/**
 * Glob matching with the semantics of Redis' `stringmatchlen` (KEYS, SCAN MATCH, HSCAN, CDC
 * patterns): `*`, `?`, `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), `\` escapes, and the
 * same treatment of odd patterns (an unterminated `[` matches as if closed at the end, a trailing
 * `\` matches a literal `\`). Pattern and subject are latin1 binary strings (one char per byte),
 * so comparisons are bytewise, as in Redis.
 *
 * A lone `*` matches everything, the empty string included: Redis' KEYS and SCAN short-cut that
 * pattern before calling `stringmatchlen` (which on its own never matches an empty subject).
 *
 * The matcher is a loop, not a recursion per `*`: every token but `*` consumes exactly one byte,
 * so only the latest `*` ever needs to take one more byte when the rest fails (earlier stars can
 * never do better). That keeps the stack flat and the work at most pattern × subject, whatever
 * the number of stars (a pattern of 200 000 `*` once overflowed the recursive version's stack).
 */
export function matchGlob(pattern: string, subject: string): boolean {
  if (pattern === '*') return true;
  // stringmatchlen compares nothing when the subject is empty: only the empty pattern matches.
  if (subject.length === 0) return pattern.length === 0;
  const patternEnd = pattern.length;
  const subjectEnd = subject.length;
  let p = 0;
  let s = 0;
  /** Pattern index just after the latest `*`, or -1 before any. */
  let resumeP = -1;
  /** Subject index the latest `*` consumed up to. */
  let starS = 0;
  while (s < subjectEnd) {
    if (p < patternEnd) {
      const c = pattern.charCodeAt(p);
      if (c === 0x2a /* * */) {
        while (p < patternEnd && pattern.charCodeAt(p) === 0x2a) p++;
        if (p === patternEnd) return true;
        resumeP = p;
        starS = s;
        continue;
      }
      const next = matchOne(pattern, p, subject.charCodeAt(s));
      if (next >= 0) {
        p = next;
        s++;
        continue;
      }
    }
    if (resumeP < 0) return false;
    // Backtrack: the latest star takes one more byte.
    p = resumeP;
    s = ++starS;
  }
  while (p < patternEnd && pattern.charCodeAt(p) === 0x2a) p++;
  return p === patternEnd;
}

/**
 * Matches the single-byte token at `p` (`?`, a class, or a literal, possibly escaped) against
 * `target`. Returns the index after the token, or -1 when it does not match.
 */
function matchOne(pattern: string, p: number, target: number): number {
  const patternEnd = pattern.length;
  const c = pattern.charCodeAt(p);
  if (c === 0x3f /* ? */) return p + 1;
  if (c === 0x5b /* [ */) {
    p++;
    const negate = p < patternEnd && pattern.charCodeAt(p) === 0x5e; /* ^ */
    if (negate) p++;
    let matched = false;
    for (;;) {
      // Unterminated class: it ends with the pattern.
      if (p >= patternEnd) break;
      const pc = pattern.charCodeAt(p);
      if (pc === 0x5c /* \ */ && patternEnd - p >= 2) {
        p++;
        if (pattern.charCodeAt(p) === target) matched = true;
      } else if (pc === 0x5d /* ] */) {
        p++;
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
    return matched !== negate ? p : -1;
  }
  if (c === 0x5c /* \ */ && patternEnd - p >= 2) p++;
  return pattern.charCodeAt(p) === target ? p + 1 : -1;
}

function signedByte(code: number): number {
  return code >= 0x80 ? code - 0x100 : code;
}
