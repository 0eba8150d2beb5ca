import { createFerrite, FerriteInexactReplyError, FerriteValidationError, type FerriteClient } from '@ferrite/core';
import { clusterNodeFor, describeEachTransport, readsExactIntegers } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it } from 'vitest';
import { CrdtOverflowError, CrdtTypeError, CrdtUnsafeIntegerError } from './errors.js';
import { crdt } from './plugin.js';

type Client = FerriteClient<readonly [ReturnType<typeof crdt>]>;

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

describeEachTransport('crdt', (harness) => {
  let ferrite: Client;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [crdt()] });
  });

  it.runIf(harness.target.cluster)('keeps values named with one hash tag on the node that owns the tag (cluster)', async () => {
    const tag = `{${unique('user')}}`;
    await ferrite.crdt.counter(`${tag}:visits`).incr(3);
    await ferrite.crdt.set(`${tag}:tags`).add('a', 'b');
    const owner = await clusterNodeFor(harness.cluster as NonNullable<typeof harness.cluster>, tag);
    // Sent unrouted to that one node: it answers for both keys (any other node would reply MOVED).
    const onOwner = (name: string, ...args: string[]) => harness.transport.send({ name, args, routingKey: null }, { node: owner.id });
    expect(String(await onOwner('CRDT.COUNTER.GET', `${tag}:visits`))).toBe('3');
    expect(((await onOwner('CRDT.SET.MEMBERS', `${tag}:tags`)) as string[]).sort()).toEqual(['a', 'b']);
  });

  it.runIf(harness.target.cluster)('counts every increment once while the slot of its key moves (cluster)', async () => {
    const tag = `{${unique('moving')}}`;
    const views = ferrite.crdt.counter(`${tag}:views`);
    for (let i = 0; i < 8; i++) await ferrite.crdt.set(`${tag}:other-${i}`).add('x');
    await harness.withSlotMoving(tag, async () => {
      for (let i = 1; i <= 40; i++) expect(await views.incr()).toBe(i);
    }, async () => {
      expect(await views.get()).toBe(40);
      expect(await ferrite.crdt.set(`${tag}:other-0`).members()).toEqual(['x']);
    });
  });

  describe('counter', () => {
    it('counts up by 1 by default, by signed amounts, and down with decr', async () => {
      const views = ferrite.crdt.counter(unique('views'));
      expect(await views.get()).toBe(0);
      expect(await views.incr()).toBe(1);
      expect(await views.incr(41)).toBe(42);
      expect(await views.incr(0)).toBe(42);
      expect(await views.incr(-50)).toBe(-8);
      expect(await views.decr()).toBe(-9);
      expect(await views.decr(-10)).toBe(1);
      expect(await views.get()).toBe(1);
    });

    it('exposes its key', () => {
      expect(ferrite.crdt.counter('a:b').key).toBe('a:b');
      expect(ferrite.crdt.set('s:1').key).toBe('s:1');
    });

    it('counts a caller-supplied op-id once, replying the current value, from any client', async () => {
      const key = unique('op');
      const other = createFerrite({ transport: harness.transport, plugins: [crdt()] });
      const mine = ferrite.crdt.counter(key);
      expect(await mine.incr(10, { opId: 'message-1' })).toBe(10);
      expect(await mine.incr(10, { opId: 'message-1' })).toBe(10);
      expect(await mine.incr(1)).toBe(11);
      expect(await other.crdt.counter(key).incr(10, { opId: 'message-1' })).toBe(11);
      expect(await other.crdt.counter(key).decr(3, { opId: 'message-2' })).toBe(8);
      expect(await mine.decr(3, { opId: 'message-2' })).toBe(8);
      // Op-ids are per key: the same id on another key is a new increment.
      expect(await ferrite.crdt.counter(unique('op-other')).incr(5, { opId: 'message-1' })).toBe(5);
    });

    it('sends a fresh op-id with every increment, so equal amounts all count', async () => {
      const hits = ferrite.crdt.counter(unique('hits'));
      const values = await Promise.all(Array.from({ length: 20 }, () => hits.incr(2)));
      expect(new Set(values).size).toBe(20);
      expect(await hits.get()).toBe(40);
    });

    it('reads and writes the same values as the raw commands (the Python client)', async () => {
      const key = unique('python');
      expect(await ferrite.send('CRDT.COUNTER.INCR', key, '7')).toBe(7);
      const shared = ferrite.crdt.counter(key);
      expect(await shared.get()).toBe(7);
      expect(await shared.incr(5)).toBe(12);
      expect(await ferrite.send('CRDT.COUNTER.GET', key)).toBe(12);
      const setKey = unique('python-set');
      expect(await ferrite.send('CRDT.SET.ADD', setKey, 'a', 'b')).toBe(2);
      expect(await ferrite.crdt.set(setKey).add('b', 'c')).toBe(1);
      expect(new Set(await ferrite.send('CRDT.SET.MEMBERS', setKey) as string[])).toEqual(new Set(['a', 'b', 'c']));
    });

    it.runIf(readsExactIntegers(harness.target))('round-trips the signed 64-bit edges in bigint mode and refuses to cross them', async () => {
      const high = ferrite.crdt.counter(unique('high'), { bigint: true });
      expect(await high.get()).toBe(0n);
      expect(await high.incr(INT64_MAX)).toBe(INT64_MAX);
      expect(await high.get()).toBe(INT64_MAX);
      await expect(high.incr()).rejects.toThrow(CrdtOverflowError);
      const error = await high.incr(1n, { opId: 'late' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CrdtOverflowError);
      expect((error as CrdtOverflowError).serverMessage).toBe('ERR increment or decrement would overflow');
      expect(await high.get()).toBe(INT64_MAX);
      // A refused increment is not remembered: once there is room, the same op-id applies.
      expect(await high.decr(INT64_MAX)).toBe(0n);
      expect(await high.incr(1n, { opId: 'late' })).toBe(1n);

      const low = ferrite.crdt.counter(unique('low'), { bigint: true });
      expect(await low.incr(-INT64_MAX)).toBe(-INT64_MAX);
      expect(await low.decr()).toBe(INT64_MIN);
      expect(await low.get()).toBe(INT64_MIN);
      await expect(low.decr()).rejects.toThrow(CrdtOverflowError);
      expect(await low.incr(INT64_MAX)).toBe(-1n);
    });

    it.runIf(readsExactIntegers(harness.target))('rejects a value beyond ±(2^53 − 1) in number mode, with the exact value, pointing to bigint mode', async () => {
      const key = unique('unsafe');
      const views = ferrite.crdt.counter(key);
      expect(await views.incr(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
      const error = await views.incr(1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CrdtUnsafeIntegerError);
      expect(error).toMatchObject({ key, value: SAFE + 1n, applied: true });
      expect((error as Error).message).toContain('{ bigint: true }');
      const read = await views.get().catch((e: unknown) => e);
      expect(read).toMatchObject({ value: SAFE + 1n, applied: false });
      expect(await ferrite.crdt.counter(key, { bigint: true }).get()).toBe(SAFE + 1n);
      expect(await views.decr(2)).toBe(Number.MAX_SAFE_INTEGER - 1);

      const negative = ferrite.crdt.counter(unique('unsafe-low'));
      expect(await negative.decr(Number.MAX_SAFE_INTEGER)).toBe(-Number.MAX_SAFE_INTEGER);
      await expect(negative.decr()).rejects.toThrow(CrdtUnsafeIntegerError);
    });

    // GLIDE decodes every integer into a number: its transport refuses a value beyond ±(2^53 − 1)
    // in either mode rather than hand over a rounded one, and says the increment was applied.
    it.runIf(!readsExactIntegers(harness.target))('refuses a value its driver cannot read exactly, in both modes, and counts on exactly', async () => {
      const key = unique('inexact');
      const exactMode = ferrite.crdt.counter(key, { bigint: true });
      expect(await exactMode.incr(BigInt(Number.MAX_SAFE_INTEGER))).toBe(SAFE);
      const error = await exactMode.incr(2n).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteInexactReplyError);
      expect((error as Error).message).toMatch(/CRDT\.COUNTER\.INCR ran, but the valkey-glide transport cannot read its reply exactly/);
      await expect(exactMode.get()).rejects.toBeInstanceOf(FerriteInexactReplyError);
      await expect(ferrite.crdt.counter(key).get()).rejects.toBeInstanceOf(FerriteInexactReplyError);
      // The refused increment was applied: back within range, the value reads exactly.
      expect(await exactMode.decr(3n)).toBe(SAFE - 1n);
      expect(await ferrite.crdt.counter(key).get()).toBe(Number.MAX_SAFE_INTEGER - 1);
    });

    it('rejects a counter used as a set, and a set used as a counter, with CrdtTypeError', async () => {
      const counterKey = unique('typed-counter');
      const setKey = unique('typed-set');
      await ferrite.crdt.counter(counterKey).incr();
      await ferrite.crdt.set(setKey).add('m');
      for (const call of [
        () => ferrite.crdt.set(counterKey).add('m'),
        () => ferrite.crdt.set(counterKey).remove('m'),
        () => ferrite.crdt.set(counterKey).members(),
        () => ferrite.crdt.set(counterKey).has('m'),
        () => ferrite.crdt.set(counterKey).size(),
        () => ferrite.crdt.counter(setKey).incr(),
        () => ferrite.crdt.counter(setKey, { bigint: true }).decr(),
        () => ferrite.crdt.counter(setKey).get(),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CrdtTypeError);
        expect((error as CrdtTypeError).serverMessage).toMatch(/^WRONGTYPE/);
      }
      expect(await ferrite.crdt.counter(counterKey).get()).toBe(1);
      expect(await ferrite.crdt.set(setKey).members()).toEqual(['m']);
    });
  });

  describe('set', () => {
    it('adds, removes and lists members, counting what changed', async () => {
      const tags = ferrite.crdt.set(unique('tags'));
      expect(await tags.members()).toEqual([]);
      expect(await tags.size()).toBe(0);
      expect(await tags.add('red', 'blue', 'red')).toBe(2);
      expect(await tags.add('blue', 'green')).toBe(1);
      expect((await tags.members()).sort()).toEqual(['blue', 'green', 'red']);
      expect(await tags.has('blue')).toBe(true);
      expect(await tags.has('pink')).toBe(false);
      expect(await tags.size()).toBe(3);
      expect(await tags.remove('blue', 'pink', 'blue')).toBe(1);
      expect(await tags.remove('blue')).toBe(0);
      expect(await tags.has('blue')).toBe(false);
      expect(await tags.size()).toBe(2);
      expect(await tags.add('blue')).toBe(1);
      expect(await tags.has('blue')).toBe(true);
    });

    it('keeps members byte for byte: empty, Unicode, spaces, CR/LF', async () => {
      const odd = ['', 'é café', '日本語', '🙂', 'a b', 'line\r\nbreak', '0', '-1'];
      const members = ferrite.crdt.set(unique('odd'));
      expect(await members.add(...odd)).toBe(odd.length);
      expect((await members.members()).sort()).toEqual([...odd].sort());
      for (const member of odd) expect(await members.has(member)).toBe(true);
    });

    it('types members with set<Member>()', async () => {
      type Color = 'red' | 'blue';
      const colors = ferrite.crdt.set<Color>(unique('colors'));
      await colors.add('red');
      const members: Color[] = await colors.members();
      expect(members).toEqual(['red']);
    });
  });

  describe('validation', () => {
    it.each([
      ['no members to add', () => ferrite.crdt.set('s').add()],
      ['no members to remove', () => ferrite.crdt.set('s').remove()],
      ['a non-string member', () => ferrite.crdt.set('s').add('a', 1 as unknown as string)],
      ['a non-string member to has', () => ferrite.crdt.set('s').has(undefined as unknown as string)],
      ['a fractional amount', () => ferrite.crdt.counter('c').incr(1.5)],
      ['NaN', () => ferrite.crdt.counter('c').incr(Number.NaN)],
      ['Infinity', () => ferrite.crdt.counter('c').decr(Infinity)],
      ['an amount beyond 2^53 in number mode', () => ferrite.crdt.counter('c').incr(2 ** 53)],
      ['a bigint in number mode', () => ferrite.crdt.counter('c').incr(1n as unknown as number)],
      ['a string amount', () => ferrite.crdt.counter('c').incr('1' as unknown as number)],
      ['a null amount', () => ferrite.crdt.counter('c').incr(null as unknown as number)],
      ['a number in bigint mode', () => ferrite.crdt.counter('c', { bigint: true }).incr(1 as unknown as bigint)],
      ['an amount beyond 2^63 − 1', () => ferrite.crdt.counter('c', { bigint: true }).incr(INT64_MAX + 1n)],
      ['an amount below −2^63', () => ferrite.crdt.counter('c', { bigint: true }).incr(INT64_MIN - 1n)],
      ['decr by −2^63 (its negation leaves 64 bits)', () => ferrite.crdt.counter('c', { bigint: true }).decr(INT64_MIN)],
      ['an empty op-id', () => ferrite.crdt.counter('c').incr(1, { opId: '' })],
      ['an op-id with LF', () => ferrite.crdt.counter('c').incr(1, { opId: 'a\nb' })],
      ['a non-object option', () => ferrite.crdt.counter('c').incr(1, 'op' as unknown as { opId: string })],
    ])('rejects %s with FerriteValidationError, as a promise', async (_name, call) => {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = call();
      }).not.toThrow();
      await expect(promise).rejects.toThrow(FerriteValidationError);
    });

    it.each([
      ['an empty key', () => ferrite.crdt.counter('')],
      ['a key with LF', () => ferrite.crdt.counter('a\nb', { bigint: true })],
      ['a key with CR', () => ferrite.crdt.set('a\rb')],
      ['a key with NUL', () => ferrite.crdt.set('a\0b')],
      ['a non-string key', () => ferrite.crdt.counter(7 as unknown as string)],
    ])('throws FerriteValidationError for %s when the handle is made, as vector.index and semantic.cache do', (_name, make) => {
      expect(make).toThrow(FerriteValidationError);
    });

    it('names bigint mode when an amount is too big for a number', async () => {
      await expect(ferrite.crdt.counter('c').incr(2 ** 60)).rejects.toThrow('{ bigint: true }');
    });

    it.runIf(readsExactIntegers(harness.target))('accepts 2^63 − 1 and −2^63 as bigint amounts (on fresh counters)', async () => {
      expect(await ferrite.crdt.counter(unique('max'), { bigint: true }).incr(INT64_MAX)).toBe(INT64_MAX);
      expect(await ferrite.crdt.counter(unique('min'), { bigint: true }).incr(INT64_MIN)).toBe(INT64_MIN);
      expect(await ferrite.crdt.counter(unique('safe')).decr(-Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    });
  });
}, { cluster: true });
