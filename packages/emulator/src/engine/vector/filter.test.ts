import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFilter } from './filter.js';

/** Metadata as the engine holds it: latin1 binary strings of the UTF-8 bytes. */
function binaryMetadata(fields: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(fields).map(([field, value]) => [field, Buffer.from(value, 'utf8').toString('latin1')]));
}

function matches(expression: string, fields: Record<string, string>): boolean {
  return parseFilter(expression)(binaryMetadata(fields));
}

describe('parseFilter', () => {
  it('compares numbers numerically and strings bytewise', () => {
    expect(matches('price < 10', { price: '9.5' })).toBe(true);
    expect(matches('price < 10', { price: '10' })).toBe(false);
    expect(matches("price < '10'", { price: '9.5' })).toBe(false); // bytewise: '9' > '1'
    expect(matches('price >= -1e1', { price: '-10' })).toBe(true);
    expect(matches('price = 2', { price: '2.0' })).toBe(true);
    expect(matches("price = '2'", { price: '2.0' })).toBe(false);
  });

  it('treats a value that is not a plain finite number as not comparable to a number literal', () => {
    for (const value of ['abc', '', ' 1', '0x10', 'Infinity', '1e999']) {
      expect(matches('v = 16', { v: value })).toBe(false);
      expect(matches('v != 16', { v: value })).toBe(false);
    }
  });

  it('is false for a missing field, for != too', () => {
    expect(matches("color != 'red'", {})).toBe(false);
    expect(matches("NOT color = 'red'", {})).toBe(true);
  });

  it('reads doubled quotes and unicode inside string literals', () => {
    expect(matches("name = 'it''s'", { name: "it's" })).toBe(true);
    expect(matches("name = ''''", { name: "'" })).toBe(true);
    expect(matches("name = ''", { name: '' })).toBe(true);
    expect(matches("city = 'Zürich AND (x) OR ☃'", { city: 'Zürich AND (x) OR ☃' })).toBe(true);
    expect(matches("city > 'Z'", { city: 'Ä' })).toBe(true); // UTF-8 0xC3 > 0x5A
  });

  it('binds AND tighter than OR, honours parentheses and NOT, and ignores keyword case', () => {
    const fields = { a: '1', b: '2', c: '3' };
    expect(matches('a = 1 or b = 0 and c = 0', fields)).toBe(true);
    expect(matches('(a = 1 OR b = 0) AND c = 0', fields)).toBe(false);
    expect(matches('not not a = 1', fields)).toBe(true);
    expect(matches('NOT (a = 1 AND b = 2)', fields)).toBe(false);
  });

  it('supports IN with numbers and strings', () => {
    expect(matches("tag IN ('x', 'y')", { tag: 'y' })).toBe(true);
    expect(matches('n in (1, 2.5,3)', { n: '2.50' })).toBe(true);
    expect(matches("tag IN ('x')", { other: 'x' })).toBe(false);
  });

  it('accepts field names with dots, colons and dashes and needs no whitespace', () => {
    expect(matches("user.name:first-x='a'AND(n>=1)", { 'user.name:first-x': 'a', n: '1' })).toBe(true);
  });

  it.each([
    ['', 'ERR syntax error in FILTER: empty expression'],
    ['a =', 'ERR syntax error in FILTER: expected a quoted string or a number but found end of expression'],
    ["a = 'x", 'ERR syntax error in FILTER: unterminated string literal at position 4'],
    ['a == 1', "ERR syntax error in FILTER: expected a quoted string or a number but found '=' at position 3"],
    ['a ! 1', "ERR syntax error in FILTER: unexpected character '!' at position 2"],
    ['(a = 1', "ERR syntax error in FILTER: expected ')' but found end of expression"],
    ['a = 1)', "ERR syntax error in FILTER: unexpected ')' at position 5"],
    ['a = 1 b = 2', "ERR syntax error in FILTER: unexpected 'b' at position 6"],
    ['a IN 1', "ERR syntax error in FILTER: expected '(' after IN but found number 1 at position 5"],
    ['a IN (1 2)', "ERR syntax error in FILTER: expected ',' or ')' in IN list but found number 2 at position 8"],
    ['a = b', "ERR syntax error in FILTER: expected a quoted string or a number but found 'b' at position 4"],
    ['1 = a', 'ERR syntax error in FILTER: expected a field name but found number 1 at position 0'],
    ['AND', 'ERR syntax error in FILTER: expected a field name but found AND at position 0'],
    ['a', "ERR syntax error in FILTER: expected a comparison operator or IN after 'a' but found end of expression"],
    ['a = #', "ERR syntax error in FILTER: unexpected character '#' at position 4"],
    ['a = -x', "ERR syntax error in FILTER: unexpected character '-' at position 4"],
    ['a = ☃', "ERR syntax error in FILTER: unexpected character '☃' at position 4"],
  ])('rejects %j with an exact error', (expression, message) => {
    expect(() => parseFilter(expression)).toThrow(message);
  });

  it('rejects nesting deep enough to exhaust the stack with a syntax error', () => {
    expect(() => parseFilter(`${'('.repeat(100000)}a = 1${')'.repeat(100000)}`)).toThrow(
      'ERR syntax error in FILTER: expression nested deeper than 256 levels',
    );
    expect(() => parseFilter(`${'NOT '.repeat(300)}a = 1`)).toThrow('nested deeper');
  });
});

// ---- property: the parser agrees with a JavaScript evaluation of a random expression tree ----

type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number };
type Node =
  | { kind: 'cmp'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; literal: Literal }
  | { kind: 'in'; field: string; literals: Literal[] }
  | { kind: 'not'; inner: Node }
  | { kind: 'and' | 'or'; left: Node; right: Node };

const FIELDS = ['a', 'b_1', 'x.y', 'ns:k', 'c-d', 'AND_x', 'Or1'];
const STRING_VALUES = ['', "it's", "''", 'a', 'B', 'Zürich', '☃ snow', 'x OR y', '(', '10', '9', '-3.5', '1e3', 'abc'];

const literalArb: fc.Arbitrary<Literal> = fc.oneof(
  fc.constantFrom(...STRING_VALUES).map((value) => ({ kind: 'string' as const, value })),
  fc.string({ unit: 'grapheme', maxLength: 4 }).map((value) => ({ kind: 'string' as const, value })),
  fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })).map((value) => ({ kind: 'number' as const, value })),
);

const nodeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('cmp' as const),
      field: fc.constantFrom(...FIELDS),
      op: fc.constantFrom('=' as const, '!=' as const, '<' as const, '<=' as const, '>' as const, '>=' as const),
      literal: literalArb,
    }),
    fc.record({ kind: fc.constant('in' as const), field: fc.constantFrom(...FIELDS), literals: fc.array(literalArb, { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('not' as const), inner: tie('node') }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('node'), right: tie('node') }),
  ),
})).node;

const metadataArb = fc.dictionary(
  fc.constantFrom(...FIELDS),
  fc.oneof(fc.constantFrom(...STRING_VALUES), fc.integer({ min: -20, max: 20 }).map(String), fc.string({ unit: 'grapheme', maxLength: 4 })),
);

function renderLiteral(literal: Literal): string {
  return literal.kind === 'number' ? String(literal.value) : `'${literal.value.replaceAll("'", "''")}'`;
}

/** Always parenthesises compound children, and spells keywords in the case the flag picks. */
function render(node: Node, upper: boolean): string {
  const kw = (word: string) => (upper ? word : word.toLowerCase());
  switch (node.kind) {
    case 'cmp':
      return `${node.field} ${node.op} ${renderLiteral(node.literal)}`;
    case 'in':
      return `${node.field} ${kw('IN')} (${node.literals.map(renderLiteral).join(', ')})`;
    case 'not':
      return `${kw('NOT')} (${render(node.inner, upper)})`;
    case 'and':
    case 'or':
      return `(${render(node.left, upper)}) ${kw(node.kind.toUpperCase())} (${render(node.right, upper)})`;
  }
}

/** Plain decimal numbers only; the generated values never use other forms. */
function numericValue(value: string): number | undefined {
  return /^-?\d+(\.\d+)?(e\d+)?$/.test(value) ? Number(value) : undefined;
}

function evaluate(node: Node, fields: Record<string, string>): boolean {
  switch (node.kind) {
    case 'cmp': {
      const value = Object.hasOwn(fields, node.field) ? fields[node.field] : undefined;
      if (value === undefined) return false;
      let order: number;
      if (node.literal.kind === 'string') {
        order = Buffer.compare(Buffer.from(value, 'utf8'), Buffer.from(node.literal.value, 'utf8'));
      } else {
        const number = numericValue(value);
        if (number === undefined) return false;
        order = number < node.literal.value ? -1 : number > node.literal.value ? 1 : 0;
      }
      return { '=': order === 0, '!=': order !== 0, '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0 }[node.op];
    }
    case 'in':
      return node.literals.some((literal) => evaluate({ kind: 'cmp', field: node.field, op: '=', literal }, fields));
    case 'not':
      return !evaluate(node.inner, fields);
    case 'and':
      return evaluate(node.left, fields) && evaluate(node.right, fields);
    case 'or':
      return evaluate(node.left, fields) || evaluate(node.right, fields);
  }
}

describe('parseFilter (property)', () => {
  it('agrees with a JavaScript predicate on random expressions and metadata', () => {
    fc.assert(
      fc.property(nodeArb, fc.boolean(), fc.array(metadataArb, { minLength: 1, maxLength: 5 }), (node, upper, records) => {
        const predicate = parseFilter(render(node, upper));
        for (const fields of records) expect(predicate(binaryMetadata(fields))).toBe(evaluate(node, fields));
      }),
      { numRuns: 300 },
    );
  });

  it('gives AND precedence over OR without parentheses', () => {
    const comparisonArb = fc.record({ field: fc.constantFrom(...FIELDS), value: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(fc.array(comparisonArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), metadataArb, (terms, fields) => {
        const expression = terms.map((factors) => factors.map((c) => `${c.field}=${c.value}`).join(' AND ')).join(' OR ');
        const expected = terms.some((factors) => factors.every((c) => numericValue(fields[c.field] ?? 'none') === c.value));
        expect(parseFilter(expression)(binaryMetadata(fields))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
