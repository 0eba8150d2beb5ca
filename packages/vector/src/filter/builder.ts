import { FerriteValidationError } from '@ferrite/core';
import type { MetadataValue } from '../types.js';
import { andFilters, comparisonFilter, notFilter, orFilters, rawFilter, toFilter, type Filter, type FilterInput } from './filter.js';
import { filterField, filterLiteral } from './literal.js';

/** The fields of `Meta` a filter may name. */
export type FilterField<Meta> = Extract<keyof Meta, string>;

/** The values a field may be compared with: its declared type, without `undefined`. */
export type FilterValue<Meta, K extends keyof Meta> = Exclude<Meta[K], undefined>;

/** Fields that can be ordered (`<`, `<=`, `>`, `>=`): those holding strings or numbers. */
export type OrderedField<Meta> = {
  [K in FilterField<Meta>]: [Extract<FilterValue<Meta, K>, string | number>] extends [never] ? never : K;
}[FilterField<Meta>];

/** The values an ordered field may be compared with. */
export type OrderedValue<Meta, K extends keyof Meta> = Extract<FilterValue<Meta, K>, string | number>;

/**
 * Builds FILTER expressions whose field names and value types are checked against `Meta`.
 *
 * Semantics are the server's ({@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#vector-search | the wire contract}): a comparison on a field the vector lacks is false,
 * `ne` included (use `not(eq(…))` to keep vectors without the field); a number is compared
 * numerically with metadata that parses as a number and is false otherwise; strings compare bytewise.
 */
export interface FilterBuilder<Meta> {
  /** `field = value`. */
  eq<K extends FilterField<Meta>>(field: K, value: FilterValue<Meta, K>): Filter;
  /** `field != value`; false, like every comparison, when the vector lacks the field. */
  ne<K extends FilterField<Meta>>(field: K, value: FilterValue<Meta, K>): Filter;
  /** `field < value`: numbers compare numerically, strings bytewise. */
  lt<K extends OrderedField<Meta>>(field: K, value: OrderedValue<Meta, K>): Filter;
  /** `field <= value`. */
  lte<K extends OrderedField<Meta>>(field: K, value: OrderedValue<Meta, K>): Filter;
  /** `field > value`. */
  gt<K extends OrderedField<Meta>>(field: K, value: OrderedValue<Meta, K>): Filter;
  /** `field >= value`. */
  gte<K extends OrderedField<Meta>>(field: K, value: OrderedValue<Meta, K>): Filter;
  /** True when `eq` holds for any of the values; needs at least one value. */
  in<K extends FilterField<Meta>>(field: K, values: readonly FilterValue<Meta, K>[]): Filter;
  /** True when every filter holds. */
  and(...filters: FilterInput[]): Filter;
  /** True when any filter holds. */
  or(...filters: FilterInput[]): Filter;
  /** True when the filter does not hold. */
  not(filter: FilterInput): Filter;
  /** A raw FILTER expression, to combine with built ones. Sent as is: never put user input in it. */
  raw(expression: string): Filter;
}

/** A filter as search options take it: built, raw, or a callback given the typed builder. */
export type FilterOption<Meta> = FilterInput | ((f: FilterBuilder<Meta>) => FilterInput);

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

function comparison(operator: Operator) {
  return (field: string, value: MetadataValue): Filter => {
    const name = filterField(field);
    return comparisonFilter(`${name} ${operator} ${filterLiteral(value, name)}`);
  };
}

function membership(field: string, values: readonly MetadataValue[]): Filter {
  const name = filterField(field);
  if (!Array.isArray(values) || values.length === 0) {
    throw new FerriteValidationError('filter value', `${name}: in() needs a non-empty array of values`);
  }
  return comparisonFilter(`${name} IN (${values.map((value) => filterLiteral(value, name)).join(', ')})`);
}

const untypedBuilder: FilterBuilder<Record<string, MetadataValue>> = Object.freeze({
  eq: comparison('='),
  ne: comparison('!='),
  lt: comparison('<'),
  lte: comparison('<='),
  gt: comparison('>'),
  gte: comparison('>='),
  in: membership,
  and: (...filters: FilterInput[]) => andFilters(filters),
  or: (...filters: FilterInput[]) => orFilters(filters),
  not: notFilter,
  raw: rawFilter,
});

/** The filter builder for metadata of any shape: `filter.eq('category', 'shoes').and(filter.lt('price', 100))`. */
export const filter: FilterBuilder<Record<string, MetadataValue>> = untypedBuilder;

/** The filter builder checked against `Meta` at compile time. The same object at run time. */
export function filterFor<Meta>(): FilterBuilder<Meta> {
  return untypedBuilder as unknown as FilterBuilder<Meta>;
}

/** Turns a filter option into the expression to send, or `undefined` for no filter. */
export function compileFilterOption<Meta>(option: FilterOption<Meta> | undefined): string | undefined {
  if (option === undefined) return undefined;
  const input = typeof option === 'function' ? option(filterFor<Meta>()) : option;
  return toFilter(input).expression;
}
