import { CommandError } from '../reply.js';

/**
 * The FILTER expression of VECTOR.SEARCH (docs/protocol.md#vector-search): a tokenizer and a recursive-descent
 * parser that compile the expression once into a predicate over a vector's metadata.
 *
 * Metadata fields and values are latin1 "binary strings" (one char per byte), as the engine holds
 * them; string literals are converted to the same form so that `=` compares bytes exactly and
 * `<`/`>` compare bytewise.
 */
/** What a predicate reads: a vector's metadata (`VectorMetadata` in the index, any `Map` in tests). */
export interface Metadata {
  get(field: string): string | undefined;
}
export type FilterPredicate = (metadata: Metadata) => boolean;

type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

type Token =
  | { readonly type: 'field'; readonly text: string; readonly position: number }
  | { readonly type: 'keyword'; readonly keyword: 'AND' | 'OR' | 'NOT' | 'IN'; readonly position: number }
  | { readonly type: 'operator'; readonly operator: ComparisonOperator; readonly position: number }
  | { readonly type: 'string'; readonly value: string; readonly position: number }
  | { readonly type: 'number'; readonly text: string; readonly position: number }
  | { readonly type: 'punctuation'; readonly char: '(' | ')' | ','; readonly position: number };

type Literal = { readonly kind: 'string'; readonly bytes: string } | { readonly kind: 'number'; readonly value: number };

/** Guards the recursion against `((((…` a client could send to exhaust the stack. */
const MAX_NESTING = 256;

const FIELD_START = /[A-Za-z_]/;
const FIELD_PART = /[A-Za-z0-9_.:-]/;
const DIGIT = /[0-9]/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN']);
/** Metadata is compared numerically only when it is a plain decimal number (no hex, no spaces, no Infinity). */
const NUMERIC_VALUE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function syntaxError(detail: string): CommandError {
  return new CommandError(`ERR syntax error in FILTER: ${detail}`);
}

function describe(token: Token | undefined): string {
  if (token === undefined) return 'end of expression';
  switch (token.type) {
    case 'field':
      return `'${token.text}' at position ${token.position}`;
    case 'keyword':
      return `${token.keyword} at position ${token.position}`;
    case 'operator':
      return `'${token.operator}' at position ${token.position}`;
    case 'string':
      return `string literal at position ${token.position}`;
    case 'number':
      return `number ${token.text} at position ${token.position}`;
    case 'punctuation':
      return `'${token.char}' at position ${token.position}`;
  }
}

function readDigits(source: string, start: number): number {
  let end = start;
  while (end < source.length && DIGIT.test(source[end] as string)) end++;
  return end;
}

/** Reads a number per the grammar; returns the end index, or `start` when there is none. */
function readNumber(source: string, start: number): number {
  let index = start;
  if (source[index] === '-') index++;
  const integerEnd = readDigits(source, index);
  if (integerEnd === index) return start;
  index = integerEnd;
  if (source[index] === '.') {
    const fractionEnd = readDigits(source, index + 1);
    if (fractionEnd > index + 1) index = fractionEnd;
  }
  if (source[index] === 'e' || source[index] === 'E') {
    let exponent = index + 1;
    if (source[exponent] === '+' || source[exponent] === '-') exponent++;
    const exponentEnd = readDigits(source, exponent);
    if (exponentEnd > exponent) index = exponentEnd;
  }
  return index;
}

export function tokenizeFilter(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      index++;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ type: 'punctuation', char, position: index });
      index++;
    } else if (char === '=' || char === '<' || char === '>' || char === '!') {
      const two = source.slice(index, index + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ type: 'operator', operator: two, position: index });
        index += 2;
      } else if (char === '!') {
        throw syntaxError(`unexpected character '!' at position ${index}`);
      } else {
        tokens.push({ type: 'operator', operator: char, position: index });
        index++;
      }
    } else if (char === "'") {
      const start = index;
      let value = '';
      index++;
      for (;;) {
        const quote = source.indexOf("'", index);
        if (quote === -1) throw syntaxError(`unterminated string literal at position ${start}`);
        value += source.slice(index, quote);
        if (source[quote + 1] === "'") {
          value += "'";
          index = quote + 2;
        } else {
          index = quote + 1;
          break;
        }
      }
      tokens.push({ type: 'string', value, position: start });
    } else if (char === '-' || DIGIT.test(char)) {
      const end = readNumber(source, index);
      if (end === index) throw syntaxError(`unexpected character '-' at position ${index}`);
      tokens.push({ type: 'number', text: source.slice(index, end), position: index });
      index = end;
    } else if (FIELD_START.test(char)) {
      const start = index;
      index++;
      while (index < source.length && FIELD_PART.test(source[index] as string)) index++;
      const text = source.slice(start, index);
      const upper = text.toUpperCase();
      if (KEYWORDS.has(upper)) {
        tokens.push({ type: 'keyword', keyword: upper as 'AND' | 'OR' | 'NOT' | 'IN', position: start });
      } else {
        tokens.push({ type: 'field', text, position: start });
      }
    } else {
      const codePoint = String.fromCodePoint(source.codePointAt(index) as number);
      throw syntaxError(`unexpected character '${codePoint}' at position ${index}`);
    }
  }
  return tokens;
}

function parseNumericValue(value: string): number | undefined {
  if (!NUMERIC_VALUE.test(value)) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function compare(operator: ComparisonOperator, left: number | string, right: number | string): boolean {
  switch (operator) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

function comparison(field: string, operator: ComparisonOperator, literal: Literal): FilterPredicate {
  if (literal.kind === 'string') {
    const bytes = literal.bytes;
    return (metadata) => {
      const value = metadata.get(field);
      return value !== undefined && compare(operator, value, bytes);
    };
  }
  const number = literal.value;
  return (metadata) => {
    const value = metadata.get(field);
    if (value === undefined) return false;
    const parsed = parseNumericValue(value);
    return parsed !== undefined && compare(operator, parsed, number);
  };
}

class FilterParser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): FilterPredicate {
    if (this.tokens.length === 0) throw syntaxError('empty expression');
    const predicate = this.expression();
    const rest = this.peek();
    if (rest !== undefined) throw syntaxError(`unexpected ${describe(rest)}`);
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(): Token | undefined {
    const token = this.tokens[this.index];
    if (token !== undefined) this.index++;
    return token;
  }

  private isKeyword(keyword: string): boolean {
    const token = this.peek();
    return token?.type === 'keyword' && token.keyword === keyword;
  }

  private isPunctuation(char: string): boolean {
    const token = this.peek();
    return token?.type === 'punctuation' && token.char === char;
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_NESTING) throw syntaxError(`expression nested deeper than ${MAX_NESTING} levels`);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expression(): FilterPredicate {
    const terms = [this.term()];
    while (this.isKeyword('OR')) {
      this.index++;
      terms.push(this.term());
    }
    if (terms.length === 1) return terms[0] as FilterPredicate;
    return (metadata) => terms.some((term) => term(metadata));
  }

  private term(): FilterPredicate {
    const factors = [this.factor()];
    while (this.isKeyword('AND')) {
      this.index++;
      factors.push(this.factor());
    }
    if (factors.length === 1) return factors[0] as FilterPredicate;
    return (metadata) => factors.every((factor) => factor(metadata));
  }

  private factor(): FilterPredicate {
    if (this.isKeyword('NOT')) {
      this.index++;
      const negated = this.nested(() => this.factor());
      return (metadata) => !negated(metadata);
    }
    if (this.isPunctuation('(')) {
      this.index++;
      const inner = this.nested(() => this.expression());
      const close = this.next();
      if (close?.type !== 'punctuation' || close.char !== ')') throw syntaxError(`expected ')' but found ${describe(close)}`);
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterPredicate {
    const fieldToken = this.next();
    if (fieldToken?.type !== 'field') throw syntaxError(`expected a field name but found ${describe(fieldToken)}`);
    const field = fieldToken.text;
    const operator = this.next();
    if (operator?.type === 'operator') return comparison(field, operator.operator, this.literal());
    if (operator?.type === 'keyword' && operator.keyword === 'IN') {
      const open = this.next();
      if (open?.type !== 'punctuation' || open.char !== '(') throw syntaxError(`expected '(' after IN but found ${describe(open)}`);
      const alternatives = [comparison(field, '=', this.literal())];
      for (;;) {
        const separator = this.next();
        if (separator?.type === 'punctuation' && separator.char === ')') break;
        if (separator?.type !== 'punctuation' || separator.char !== ',') {
          throw syntaxError(`expected ',' or ')' in IN list but found ${describe(separator)}`);
        }
        alternatives.push(comparison(field, '=', this.literal()));
      }
      return (metadata) => alternatives.some((alternative) => alternative(metadata));
    }
    throw syntaxError(`expected a comparison operator or IN after '${field}' but found ${describe(operator)}`);
  }

  private literal(): Literal {
    const token = this.next();
    if (token?.type === 'string') return { kind: 'string', bytes: Buffer.from(token.value, 'utf8').toString('latin1') };
    if (token?.type === 'number') return { kind: 'number', value: Number(token.text) };
    throw syntaxError(`expected a quoted string or a number but found ${describe(token)}`);
  }
}

/**
 * Compiles a FILTER expression (UTF-8 text) into a predicate, or throws
 * `ERR syntax error in FILTER: <detail>`.
 */
export function parseFilter(expression: string): FilterPredicate {
  return new FilterParser(tokenizeFilter(expression)).parse();
}
