import { createFerrite, type FerriteClient } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { vector } from '../plugin.js';
import type { Filter } from './filter.js';
import { filterFor, type FilterBuilder } from './builder.js';

interface Item {
  label?: string;
  price?: number;
  flag?: boolean;
}

type Predicate = (item: Item) => boolean;
interface Case {
  readonly build: (f: FilterBuilder<Item>) => Filter;
  readonly holds: Predicate;
  readonly text: string;
}

/** Strings meant to break a naive quoting: quotes, keywords, parentheses, commas, unicode. */
const hostile = ["it's", "'", "''", "x' OR label != 'y", "') OR (label = '", 'OR', 'AND', 'NOT', '(a)', 'a, b', 'ünï', '😀', '', ' ', 'IN (1)', '1e3', '-5'];
const labelArb = fc.oneof(fc.constantFrom(...hostile), fc.string({ maxLength: 6, unit: 'grapheme' }));
const priceArb = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));
const itemArb: fc.Arbitrary<Item> = fc.record({ label: labelArb, price: priceArb, flag: fc.boolean() }, { requiredKeys: [] });

const bytes = (s: string) => Buffer.from(s, 'utf8');
const ORDER = {
  eq: (c: number) => c === 0,
  ne: (c: number) => c !== 0,
  lt: (c: number) => c < 0,
  lte: (c: number) => c <= 0,
  gt: (c: number) => c > 0,
  gte: (c: number) => c >= 0,
} as const;
type Op = keyof typeof ORDER;
const opArb = fc.constantFrom<Op>('eq', 'ne', 'lt', 'lte', 'gt', 'gte');

/** The six comparisons have one runtime shape; the union of their typed signatures is not callable. */
function compare(f: FilterBuilder<Item>, op: Op, field: keyof Item, value: string | number): Filter {
  return (f[op] as (field: string, value: string | number) => Filter)(field, value);
}

/** The server's semantics (docs/protocol.md#vector-search) in JavaScript: a missing field makes any comparison false. */
const leafArb: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(opArb, labelArb).map(([op, value]): Case => ({
    build: (f) => compare(f, op, 'label', value),
    holds: (item) => item.label !== undefined && ORDER[op](Buffer.compare(bytes(item.label), bytes(value))),
    text: `${op}(label, ${JSON.stringify(value)})`,
  })),
  fc.tuple(opArb, priceArb).map(([op, value]): Case => ({
    build: (f) => compare(f, op, 'price', value),
    holds: (item) => item.price !== undefined && ORDER[op](Math.sign(item.price - value)),
    text: `${op}(price, ${value})`,
  })),
  fc.tuple(fc.constantFrom<'eq' | 'ne'>('eq', 'ne'), fc.boolean()).map(([op, value]): Case => ({
    build: (f) => f[op]('flag', value),
    holds: (item) => item.flag !== undefined && (op === 'eq') === (item.flag === value),
    text: `${op}(flag, ${value})`,
  })),
  fc.array(labelArb, { minLength: 1, maxLength: 4 }).map((values): Case => ({
    build: (f) => f.in('label', values),
    holds: (item) => item.label !== undefined && values.includes(item.label),
    text: `in(label, ${JSON.stringify(values)})`,
  })),
);

const caseArb: fc.Arbitrary<Case> = fc.letrec<{ node: Case }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.tuple(tie('node'), tie('node')).map(([a, b]): Case => ({
      build: (f) => a.build(f).and(b.build(f)),
      holds: (item) => a.holds(item) && b.holds(item),
      text: `and(${a.text}, ${b.text})`,
    })),
    fc.tuple(tie('node'), tie('node')).map(([a, b]): Case => ({
      build: (f) => f.or(a.build(f), b.build(f)),
      holds: (item) => a.holds(item) || b.holds(item),
      text: `or(${a.text}, ${b.text})`,
    })),
    tie('node').map((a): Case => ({
      build: (f) => f.not(a.build(f)),
      holds: (item) => !a.holds(item),
      text: `not(${a.text})`,
    })),
  ),
})).node;

let counter = 0;

describeEachTransport(
  'vector filter builder (property)',
  (harness) => {
    let ferrite: FerriteClient<readonly [ReturnType<typeof vector>]>;
    beforeAll(() => {
      ferrite = createFerrite({ transport: harness.transport, plugins: [vector()] });
    });

    it('selects exactly what the equivalent JavaScript predicate selects', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 30 }), fc.array(caseArb, { minLength: 1, maxLength: 5 }), async (items, cases) => {
          const index = ferrite.vector.index<Item>(`prop-${++counter}`);
          await index.create({ dim: 1, distance: 'L2' });
          try {
            const { added } = await index.addMany(items.map((metadata, i) => ({ id: `i${i}`, vector: [i], metadata })));
            expect(added).toBe(items.length);
            for (const c of cases) {
              const filter = c.build(filterFor<Item>());
              const hits = await index.search([0], { topK: 10000, filter });
              const expected = items.flatMap((item, i) => (c.holds(item) ? [`i${i}`] : []));
              expect({ filter: filter.expression, ids: hits.map((h) => h.id).sort() }).toEqual({ filter: filter.expression, ids: expected.sort() });
            }
          } finally {
            await index.drop();
          }
        }),
        { numRuns: harness.target.driver === 'memory' ? 150 : 40 },
      );
    });
  },
  { drivers: ['memory', 'ioredis', 'node-redis'] },
);
