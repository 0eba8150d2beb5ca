/**
 * CRDT interop: the Python thin client (ported in `seed.ts`) and `@ferrite/crdt` read each
 * other's counters and sets as the same values, on every transport in RESP2 and RESP3.
 *
 * Wire-format review (seed vs SDK):
 * - Counter amounts: both send a signed decimal integer (`CRDT.COUNTER.INCR key 5`). The SDK
 *   adds `ID <op-id>` to every increment so a resend after a lost reply counts once; the seed
 *   sends none, so an increment it retries (redis-py's `retry_on_timeout`, say) may count twice.
 *   Both kinds of increment add to the same counter.
 * - Counter values: an integer reply. Python's `int` holds any of them; the SDK's default counter
 *   reads `number`s and rejects a value beyond ±(2^53 − 1) with `CrdtUnsafeIntegerError` (never a
 *   rounded value); `counter(key, { bigint: true })` reads every signed 64-bit value exactly.
 * - Set members: bulk strings both ways, UTF-8 text in both clients (the seed with
 *   `decode_responses=True`), any string allowed (empty, spaces, newlines). `CRDT.SET.MEMBERS`
 *   has no promised order in either client. The seed has no remove; the SDK's `remove`
 *   (`CRDT.SET.REM`) is seen by the seed's `crdt_set_members`.
 */
import { createFerrite, FerriteInexactReplyError, type FerriteClient } from '@ferrite/core';
import { crdt, CrdtUnsafeIntegerError } from '@ferrite/crdt';
import { describeEachTransport, readsExactIntegers } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeedClient } from './seed.js';

type Client = FerriteClient<readonly [ReturnType<typeof crdt>]>;

let counter = 0;
const unique = (prefix: string) => `interop:${prefix}:${++counter}`;

const sorted = (members: unknown) => [...(members as string[])].sort();

/** Members a careless encoder or decoder would change. */
const TRICKY_MEMBERS = ['alice', 'Ünïcødé ✓ 🚀', 'two words', 'line\nbreak', '', '42', 'null'];

describeEachTransport('crdt interop with the Python thin client', (harness) => {
  let ferrite: Client;
  let seed: SeedClient;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [crdt()] });
    seed = new SeedClient((name, ...args) => ferrite.send(name, ...args));
  });

  describe('seed writes, SDK reads', () => {
    it('counts the seed’s increments, default and negative amounts included', async () => {
      const key = unique('seed-counter');
      expect(await seed.crdt_counter_incr(key)).toBe(1);
      expect(seed.lastSent).toEqual(['CRDT.COUNTER.INCR', key, '1']);
      expect(await seed.crdt_counter_incr(key, 5)).toBe(6);
      expect(await seed.crdt_counter_incr(key, -2)).toBe(4);
      expect(await ferrite.crdt.counter(key).get()).toBe(4);
      expect(await ferrite.crdt.counter(key, { bigint: true }).get()).toBe(4n);
      // The SDK's increments (with op-ids) and the seed's add up on one counter.
      expect(await ferrite.crdt.counter(key).incr(10)).toBe(14);
      expect(await seed.crdt_counter_incr(key, 1)).toBe(15);
    });

    it('reads a value beyond 2^53 exactly in bigint mode, and refuses to round it in number mode', async () => {
      const key = unique('seed-big');
      const incremented = seed.crdt_counter_incr(key, 2n ** 60n);
      // GLIDE rounds integers beyond 2^53: the transport refuses the seed's reply too (the increment ran).
      if (readsExactIntegers(harness.target)) await incremented;
      else await expect(incremented).rejects.toBeInstanceOf(FerriteInexactReplyError);
      expect(seed.lastSent).toEqual(['CRDT.COUNTER.INCR', key, '1152921504606846976']);
      if (readsExactIntegers(harness.target)) {
        expect(await ferrite.crdt.counter(key, { bigint: true }).get()).toBe(2n ** 60n);
        await expect(ferrite.crdt.counter(key).get()).rejects.toBeInstanceOf(CrdtUnsafeIntegerError);
      } else {
        // GLIDE rounds integers beyond 2^53: the transport refuses them in both modes.
        await expect(ferrite.crdt.counter(key, { bigint: true }).get()).rejects.toBeInstanceOf(FerriteInexactReplyError);
        await expect(ferrite.crdt.counter(key).get()).rejects.toBeInstanceOf(FerriteInexactReplyError);
      }
    });

    it('reads the members the seed added, byte for byte', async () => {
      const key = unique('seed-set');
      expect(await seed.crdt_set_add(key, ...TRICKY_MEMBERS)).toBe(TRICKY_MEMBERS.length);
      expect(seed.lastSent).toEqual(['CRDT.SET.ADD', key, ...TRICKY_MEMBERS]);
      expect(await seed.crdt_set_add(key, 'alice', 'bob')).toBe(1);
      const set = ferrite.crdt.set(key);
      expect(sorted(await set.members())).toEqual(sorted([...TRICKY_MEMBERS, 'bob']));
      expect(await set.has('Ünïcødé ✓ 🚀')).toBe(true);
      expect(await set.has('')).toBe(true);
      expect(await set.size()).toBe(TRICKY_MEMBERS.length + 1);
    });
  });

  describe('SDK writes, seed reads', () => {
    it('crdt_counter_get reads what incr and decr left', async () => {
      const key = unique('sdk-counter');
      const counter = ferrite.crdt.counter(key);
      await counter.incr();
      await counter.incr(41);
      await counter.decr(2);
      await counter.incr(0);
      expect(await seed.crdt_counter_get(key)).toBe(40);
      expect(seed.lastSent).toEqual(['CRDT.COUNTER.GET', key]);
      // An increment the SDK resends with the same op-id counts once for the seed too.
      await counter.incr(5, { opId: `${key}:once` });
      await counter.incr(5, { opId: `${key}:once` });
      expect(await seed.crdt_counter_get(key)).toBe(45);
      expect(await seed.crdt_counter_get(unique('never-written'))).toBe(0);
    });

    it.runIf(readsExactIntegers(harness.target))('a bigint counter’s 64-bit values reach the seed exactly', async () => {
      const key = unique('sdk-big');
      const max = 2n ** 63n - 1n;
      await ferrite.crdt.counter(key, { bigint: true }).incr(max);
      expect(await seed.crdt_counter_get(key)).toBe(max);
      await ferrite.crdt.counter(key, { bigint: true }).decr(max);
      expect(await seed.crdt_counter_get(key)).toBe(0);
    });

    it.runIf(!readsExactIntegers(harness.target))('a bigint counter beyond 2^53 is refused on both sides, never rounded, and counts on', async () => {
      const key = unique('sdk-big');
      const max = 2n ** 63n - 1n;
      await expect(ferrite.crdt.counter(key, { bigint: true }).incr(max)).rejects.toBeInstanceOf(FerriteInexactReplyError);
      await expect(seed.crdt_counter_get(key)).rejects.toBeInstanceOf(FerriteInexactReplyError);
      expect(await ferrite.crdt.counter(key, { bigint: true }).decr(max)).toBe(0n);
      expect(await seed.crdt_counter_get(key)).toBe(0);
    });

    it('crdt_set_members reads what add and remove left', async () => {
      const key = unique('sdk-set');
      const set = ferrite.crdt.set(key);
      expect(await set.add(...TRICKY_MEMBERS)).toBe(TRICKY_MEMBERS.length);
      expect(sorted(await seed.crdt_set_members(key))).toEqual(sorted(TRICKY_MEMBERS));
      expect(seed.lastSent).toEqual(['CRDT.SET.MEMBERS', key]);
      expect(await set.remove('alice', 'two words')).toBe(2);
      expect(sorted(await seed.crdt_set_members(key))).toEqual(sorted(TRICKY_MEMBERS.filter((m) => m !== 'alice' && m !== 'two words')));
      expect(await seed.crdt_set_members(unique('never-written'))).toEqual([]);
    });
  });
});
