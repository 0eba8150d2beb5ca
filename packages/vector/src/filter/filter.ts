import { FerriteValidationError } from '@ferrite/core';

type Node =
  | { readonly kind: 'comparison'; readonly text: string }
  | { readonly kind: 'raw'; readonly text: string }
  | { readonly kind: 'not'; readonly operand: Node }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly Node[] };

/** Where a filter may be given: a built {@link Filter} or a raw FILTER expression. */
export type FilterInput = Filter | string;

/** Kept outside the instances so a filter cannot be forged or altered from outside this module. */
const nodes = new WeakMap<Filter, Node>();

/** Marks filters on the prototype so one built by another copy of this package is still recognised. */
const FILTER_BRAND = Symbol.for('@ferrite/vector/filter');

function isForeignFilter(input: unknown): input is { readonly expression: string } {
  return typeof input === 'object' && input !== null && (input as Record<symbol, unknown>)[FILTER_BRAND] === true;
}

function nodeOf(input: FilterInput): Node {
  if (input instanceof Filter && nodes.has(input)) return nodes.get(input) as Node;
  // Another copy's filter: its compiled text is all we can read, and it is kept whole.
  if (isForeignFilter(input)) return { kind: 'raw', text: String(input.expression) };
  if (typeof input !== 'string') throw new FerriteValidationError('filter', 'expected a Filter or a FILTER expression string');
  if (input.trim() === '') throw new FerriteValidationError('filter', 'must not be empty');
  return { kind: 'raw', text: input };
}

function combine(kind: 'and' | 'or', inputs: readonly FilterInput[]): Node {
  if (inputs.length === 0) throw new FerriteValidationError('filter', `${kind}() needs at least one filter`);
  // Flattening keeps `a.and(b).and(c)` one level deep, so long chains stay far from the server's nesting limit.
  const operands = inputs.map(nodeOf).flatMap((node) => (node.kind === kind ? node.operands : [node]));
  return operands.length === 1 ? (operands[0] as Node) : { kind, operands };
}

/**
 * An operand of AND, OR or NOT. Comparisons and NOTs bind tighter than anything around them
 * (`factor` in the grammar); everything else, raw expressions included, is parenthesised.
 */
function operand(node: Node): string {
  return node.kind === 'comparison' || node.kind === 'not' ? compile(node) : `(${compile(node)})`;
}

function compile(node: Node): string {
  switch (node.kind) {
    case 'comparison':
    case 'raw':
      return node.text;
    case 'not':
      return `NOT ${operand(node.operand)}`;
    case 'and':
      return node.operands.map(operand).join(' AND ');
    case 'or':
      return node.operands.map(operand).join(' OR ');
  }
}

/**
 * A FILTER expression built from typed parts. Immutable: `and`, `or` and `not` return new filters.
 * `String(filter)` / `filter.expression` is the text sent to the server.
 */
export class Filter {
  /** Made by the builder (`filter`, `filterFor<Meta>()`, or the `f => …` callback), never directly. */
  private constructor() {}

  /** The compiled FILTER expression. */
  get expression(): string {
    return compile(nodeOf(this));
  }

  /** This filter AND the others, as a new filter. */
  and(...others: FilterInput[]): Filter {
    return make(combine('and', [this, ...others]));
  }

  /** This filter OR the others, as a new filter. */
  or(...others: FilterInput[]): Filter {
    return make(combine('or', [this, ...others]));
  }

  /** The negation of this filter, as a new filter. */
  not(): Filter {
    return make({ kind: 'not', operand: nodeOf(this) });
  }

  /** The compiled FILTER expression. */
  toString(): string {
    return this.expression;
  }

  /** The compiled FILTER expression, so a filter logs as its text. */
  toJSON(): string {
    return this.expression;
  }

  static {
    Object.defineProperty(this.prototype, FILTER_BRAND, { value: true });
  }
}

function make(node: Node): Filter {
  const filter = Object.freeze(new (Filter as unknown as new () => Filter)());
  nodes.set(filter, node);
  return filter;
}

export function comparisonFilter(text: string): Filter {
  return make({ kind: 'comparison', text });
}

export function rawFilter(expression: string): Filter {
  return make(nodeOf(expression));
}

/** A filter from either form a caller may give, validated. */
export function toFilter(input: FilterInput): Filter {
  return make(nodeOf(input));
}

export function andFilters(inputs: readonly FilterInput[]): Filter {
  return make(combine('and', inputs));
}

export function orFilters(inputs: readonly FilterInput[]): Filter {
  return make(combine('or', inputs));
}

export function notFilter(input: FilterInput): Filter {
  return make({ kind: 'not', operand: nodeOf(input) });
}
