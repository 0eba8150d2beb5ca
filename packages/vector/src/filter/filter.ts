import { FerriteValidationError } from '@ferrite/core';

type Node =
  | { readonly kind: 'comparison'; readonly text: string }
  | { readonly kind: 'raw'; readonly text: string }
  | { readonly kind: 'not'; readonly operand: Node }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly Node[] };

/** Where a filter may be given: a built {@link Filter} or a raw FILTER expression. */
export type FilterInput = Filter | string;

const NODE = Symbol('filter node');

function nodeOf(input: FilterInput): Node {
  if (input instanceof Filter) return input[NODE];
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

/** Parenthesises everything but a single comparison: the grammar's precedence never has to be trusted. */
function operand(node: Node): string {
  return node.kind === 'comparison' ? node.text : `(${compile(node)})`;
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
  readonly [NODE]: Node;

  /** @internal use the builder (`filter`, `filterFor<Meta>()`, or the `f => …` callback). */
  constructor(node: Node) {
    this[NODE] = node;
  }

  /** The compiled FILTER expression. */
  get expression(): string {
    return compile(this[NODE]);
  }

  and(...others: FilterInput[]): Filter {
    return new Filter(combine('and', [this, ...others]));
  }

  or(...others: FilterInput[]): Filter {
    return new Filter(combine('or', [this, ...others]));
  }

  not(): Filter {
    return new Filter({ kind: 'not', operand: this[NODE] });
  }

  toString(): string {
    return this.expression;
  }

  toJSON(): string {
    return this.expression;
  }
}

export function comparisonFilter(text: string): Filter {
  return new Filter({ kind: 'comparison', text });
}

export function rawFilter(expression: string): Filter {
  return new Filter(nodeOf(expression));
}

export function andFilters(inputs: readonly FilterInput[]): Filter {
  return new Filter(combine('and', inputs));
}

export function orFilters(inputs: readonly FilterInput[]): Filter {
  return new Filter(combine('or', inputs));
}

export function notFilter(input: FilterInput): Filter {
  return new Filter({ kind: 'not', operand: nodeOf(input) });
}
