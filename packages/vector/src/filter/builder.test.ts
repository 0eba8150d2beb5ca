import { FerriteValidationError } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { compileFilterOption, filter as f, filterFor } from './builder.js';

describe('filter builder', () => {
  it('compiles comparisons with quoted strings and number literals', () => {
    expect(f.eq('category', 'shoes').expression).toBe("category = 'shoes'");
    expect(f.ne('a', 1).expression).toBe('a != 1');
    expect(f.lt('price', 100).expression).toBe('price < 100');
    expect(f.lte('price', -0.5).expression).toBe('price <= -0.5');
    expect(f.gt('n', 1e21).expression).toBe('n > 1e+21');
    expect(f.gte('n', 1e-7).expression).toBe('n >= 1e-7');
    expect(f.eq('flag', true).expression).toBe("flag = 'true'");
    expect(f.in('color', ['red', 'it\'s', 3]).expression).toBe("color IN ('red', 'it''s', 3)");
  });

  it('doubles quotes so hostile values stay one literal', () => {
    expect(f.eq('name', "it's").expression).toBe("name = 'it''s'");
    expect(f.eq('name', "x' OR a = 'a").expression).toBe("name = 'x'' OR a = ''a'");
    expect(f.eq('name', "')) OR ((a = 'a").expression).toBe("name = ''')) OR ((a = ''a'");
  });

  it('combines with precedence made explicit', () => {
    const filter = f.eq('a', 1).and(f.eq('b', 2).or(f.eq('c', 3)));
    expect(filter.expression).toBe('a = 1 AND (b = 2 OR c = 3)');
    expect(f.or(f.eq('a', 1).and(f.eq('b', 2)), f.eq('c', 3)).expression).toBe('(a = 1 AND b = 2) OR c = 3');
    expect(f.not(f.eq('a', 1)).expression).toBe('NOT a = 1');
    expect(f.eq('a', 1).or(f.eq('b', 2)).not().expression).toBe('NOT (a = 1 OR b = 2)');
    expect(String(f.and(f.eq('a', 1)))).toBe('a = 1');
  });

  it('compiles the README example as documented', () => {
    expect(f.eq('category', "it's").and(f.gte('price', 10), f.not(f.in('tag', ['sale', 'old']))).expression).toBe(
      "category = 'it''s' AND price >= 10 AND NOT tag IN ('sale', 'old')",
    );
  });

  it('flattens chains so they do not nest', () => {
    let chain = f.eq('n', 0);
    for (let i = 1; i < 500; i++) chain = chain.and(f.eq('n', i));
    expect(chain.expression.includes('(')).toBe(false);
    expect(chain.expression.split(' AND ')).toHaveLength(500);
  });

  it('wraps raw expressions when combining them', () => {
    expect(f.raw('a = 1 OR b = 2').and(f.eq('c', 3)).expression).toBe('(a = 1 OR b = 2) AND c = 3');
    expect(f.eq('c', 3).or('x > 1').expression).toBe('c = 3 OR (x > 1)');
  });

  it.each(['', '1abc', 'a b', "a'", 'a=b', 'AND', 'or', 'Not', 'in', 'é'])('rejects the field name %j', (field) => {
    expect(() => f.eq(field, 'x')).toThrow(FerriteValidationError);
  });

  it('accepts every field the grammar allows', () => {
    expect(f.eq('_a.b:c-d9', 'x').expression).toBe("_a.b:c-d9 = 'x'");
    expect(f.eq('android', 'x').expression).toBe("android = 'x'");
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects the number %s', (value) => {
    expect(() => f.eq('a', value)).toThrow(/expected a finite number/);
  });

  it('rejects values that are not strings, numbers or booleans, and an empty IN', () => {
    expect(() => f.eq('a', null as never)).toThrow(/got null/);
    expect(() => f.eq('a', 1n as never)).toThrow(/got bigint/);
    expect(() => f.in('a', [])).toThrow(/non-empty array/);
    expect(() => f.and()).toThrow(/at least one filter/);
    expect(() => f.raw(' ')).toThrow(/must not be empty/);
  });

  it('accepts a filter built by another copy of the package, by its brand', () => {
    const foreign = Object.create(Object.getPrototypeOf(f.eq('a', 1)) as object, { expression: { get: () => "b = 'x' OR c = 1" } });
    const copy = { expression: "b = 'x' OR c = 1", [Symbol.for('@ferrite/vector/filter')]: true };
    for (const other of [foreign, copy]) {
      expect(f.eq('a', 1).and(other).expression).toBe("a = 1 AND (b = 'x' OR c = 1)");
      expect(compileFilterOption(other)).toBe("b = 'x' OR c = 1");
    }
    expect(() => compileFilterOption({ expression: 'a = 1' } as never)).toThrow(FerriteValidationError);
  });

  it('is the same builder, typed or not', () => {
    expect(filterFor<{ a: number }>().eq('a', 1).expression).toBe('a = 1');
  });
});

describe('compileFilterOption', () => {
  it('takes a filter, a callback or a raw string', () => {
    expect(compileFilterOption(undefined)).toBeUndefined();
    expect(compileFilterOption("a = 'b'")).toBe("a = 'b'");
    expect(compileFilterOption(f.eq('a', 'b'))).toBe("a = 'b'");
    expect(compileFilterOption<{ a: string }>((b) => b.eq('a', 'b').not())).toBe("NOT a = 'b'");
    expect(compileFilterOption(() => 'x = 1')).toBe('x = 1');
    expect(() => compileFilterOption(42 as never)).toThrow(FerriteValidationError);
  });
});
