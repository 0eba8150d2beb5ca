import { createFerrite, type Transport } from '@ferrite/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { CrdtCounter, CrdtSet } from './index.js';
import { crdt } from './index.js';

declare const transport: Transport;
const ferrite = createFerrite({ transport, plugins: [crdt()] });

describe('crdt types', () => {
  it('counters take and return numbers, or bigints in bigint mode', () => {
    expectTypeOf(ferrite.crdt.counter('a')).toEqualTypeOf<CrdtCounter<number>>();
    expectTypeOf(ferrite.crdt.counter('a', { bigint: false })).toEqualTypeOf<CrdtCounter<number>>();
    expectTypeOf(ferrite.crdt.counter('a', { bigint: true })).toEqualTypeOf<CrdtCounter<bigint>>();
    expectTypeOf(ferrite.crdt.counter('a').incr(2)).resolves.toEqualTypeOf<number>();
    expectTypeOf(ferrite.crdt.counter('a', { bigint: true }).decr(2n, { opId: 'x' })).resolves.toEqualTypeOf<bigint>();
    // @ts-expect-error a number counter takes numbers
    void ferrite.crdt.counter('a').incr(2n);
    // @ts-expect-error a bigint counter takes bigints
    void ferrite.crdt.counter('a', { bigint: true }).incr(2);
  });

  it('sets type their members', () => {
    expectTypeOf(ferrite.crdt.set('s')).toEqualTypeOf<CrdtSet<string>>();
    const colors = ferrite.crdt.set<'red' | 'blue'>('colors');
    expectTypeOf(colors.members()).resolves.toEqualTypeOf<('red' | 'blue')[]>();
    expectTypeOf(colors.size()).resolves.toEqualTypeOf<number>();
    // @ts-expect-error not a member type
    void colors.add('green');
  });
});
