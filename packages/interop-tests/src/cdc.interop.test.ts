/**
 * CDC interop: the Python thin client's `cdc_subscribe` (ported in `seed.ts`, with the
 * `CDC.POLL` its user has to send by hand) and `@ferrite/cdc` see the same change events, with
 * the same ids and fields, whoever made the writes, on every transport in RESP2 and RESP3.
 *
 * Wire-format review (seed vs SDK):
 * - Events are written by standard commands from any client (redis-py's `set`, ioredis',
 *   `ferrite.send`); Ferrite's own commands (vector, semantic, CRDT) log none. Both clients read
 *   the six fields of PROTOCOL.md §5 the same way: `id`, `timestamp` and `db` integers, `op` and
 *   `key` text, `value` text or nil. In RESP2 an event is a flat pair list, in RESP3 a map;
 *   redis-py hands over a list or a dict, the SDK a `ChangeEvent` either way.
 * - Values: the seed reads with `decode_responses=True`, so a value that is not UTF-8 raises
 *   `UnicodeDecodeError` there; the SDK's text feed decodes it lossily and `{ binary: true }`
 *   feeds deliver the exact bytes.
 * - The seed stops at `cdc_subscribe`: no poll, no unsubscribe, no resume. Its subscription
 *   belongs to the connection that sent `CDC.SUBSCRIBE`, and redis-py sends each command on
 *   whichever pooled connection is free, so a later `CDC.POLL` from another thread can land on
 *   another connection and get `no such CDC subscription`. The SDK's feeds poll on a dedicated
 *   connection and resume from their position after a drop.
 */
import { cdc, type ChangeEvent, type ChangeFeed } from '@ferrite/cdc';
import { createFerrite, type FerriteClient } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeedClient, type PyEvent } from './seed.js';

type Client = FerriteClient<readonly [ReturnType<typeof cdc>]>;

let counter = 0;
const unique = (prefix: string) => `interop:cdc:${prefix}:${++counter}`;

/** The next `n` events of a feed, within a bounded wait. */
async function take<Value extends string | Buffer>(feed: ChangeFeed<Value>, n: number, timeoutMs = 5000): Promise<ChangeEvent<Value>[]> {
  const events: ChangeEvent<Value>[] = [];
  const deadline = AbortSignal.timeout(timeoutMs);
  while (events.length < n) {
    const next = await Promise.race([
      feed.next(),
      new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(new Error(`only ${events.length} of ${n} events arrived`)), { once: true })),
    ]);
    if (next.done) throw new Error('the feed ended');
    events.push(next.value);
  }
  return events;
}

/** Polls a seed subscription until `n` events arrived (a Python user would loop the same way). */
async function pollSeed(seed: SeedClient, subscription: number | bigint, n: number): Promise<PyEvent[]> {
  const events: PyEvent[] = [];
  for (let attempt = 0; events.length < n && attempt < 100; attempt++) {
    events.push(...(await seed.cdc_poll(subscription)));
    if (events.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return events;
}

const asSdkEvent = (event: PyEvent) => ({
  id: Number(event.id),
  timestamp: Number(event.timestamp),
  db: Number(event.db),
  op: event.op,
  key: event.key,
  value: event.value,
});

describeEachTransport('cdc interop with the Python thin client', (harness) => {
  let ferrite: Client;
  let seed: SeedClient;
  beforeAll(() => {
    ferrite = createFerrite({ transport: harness.transport, plugins: [cdc()] });
    seed = new SeedClient((name, ...args) => ferrite.send(name, ...args));
  });

  it('a seed subscription and an SDK feed see the same events, field for field, whoever wrote', async () => {
    const prefix = unique('same-events');
    const subscription = await seed.cdc_subscribe(`${prefix}:*`);
    expect(seed.lastSent).toEqual(['CDC.SUBSCRIBE', `${prefix}:*`]);
    expect(typeof subscription).toBe('number');
    await using feed = await ferrite.cdc.subscribe(`${prefix}:*`);

    // Writes shaped as the seed's guide makes them through redis-py, and as the SDK sends them.
    await ferrite.send('SET', `${prefix}:app:version`, '2.1.0');
    await ferrite.send('HSET', `${prefix}:user:42`, 'name', 'Bob', 'role', 'admin');
    await ferrite.send('INCR', `${prefix}:visits`);
    await ferrite.send('SET', `${prefix}:greeting`, 'Ünïcødé ✓ 🚀');
    await ferrite.send('DEL', `${prefix}:app:version`);
    await ferrite.send('SET', 'interop:cdc:elsewhere', 'not matched');

    const fromSdk = await take(feed, 5);
    const fromSeed = await pollSeed(seed, subscription as number, 5);
    // The six fields of the wire (PROTOCOL.md §5) are the same; the SDK adds the log they came from (§8.1).
    expect(fromSeed.map(asSdkEvent)).toEqual(fromSdk.map(({ log: _log, ...event }) => event));
    expect(new Set(fromSdk.map((event) => event.log)).size).toBe(1);
    expect(fromSdk[0]!.log).toMatch(/^[0-9a-f]{40}$/);
    expect(fromSdk.map(({ op, key, value }) => [op, key, value])).toEqual([
      ['SET', `${prefix}:app:version`, '2.1.0'],
      ['HSET', `${prefix}:user:42`, null],
      ['INCR', `${prefix}:visits`, '1'],
      ['SET', `${prefix}:greeting`, 'Ünïcødé ✓ 🚀'],
      ['DEL', `${prefix}:app:version`, null],
    ]);
    expect(fromSeed[0]).toMatchObject({ op: 'SET', value: '2.1.0', db: 0 });
    expect(typeof fromSeed[0]!.id).toBe('number');
  });

  it('a binary SDK feed delivers the bytes of a value the seed could not decode as text', async () => {
    const prefix = unique('binary');
    await using feed = await ferrite.cdc.subscribe(`${prefix}:*`, { binary: true });
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
    await ferrite.send('SET', `${prefix}:blob`, bytes);
    const [event] = await take(feed, 1);
    expect(event!.value).toEqual(bytes);
    // What a seed poll gets is not the value: decode_responses=True would raise, `send` decodes lossily.
    const raw = (await ferrite.sendBuffer('GET', `${prefix}:blob`)) as Buffer;
    expect(raw.equals(bytes)).toBe(true);
  });

  describe('the SDK feed resumes where the seed’s events left off', () => {
    it('from the id after the last event a seed subscription saw', async () => {
      const prefix = unique('resume');
      const subscription = await seed.cdc_subscribe(`${prefix}:*`);
      await ferrite.send('SET', `${prefix}:a`, '1');
      await ferrite.send('SET', `${prefix}:b`, '2');
      const [first] = await pollSeed(seed, subscription as number, 1);
      await ferrite.send('SET', `${prefix}:c`, '3');
      // The id of the last event the Python side handled, as a checkpoint in the form the SDK still
      // reads from its 0.x releases (`cdc1.`, one server, the next id): it resumes an SDK feed.
      const next = Number(first!.id) + 1;
      const checkpoint = `cdc1.${Buffer.from(JSON.stringify({ s: next })).toString('base64url')}` as const;
      await using feed = await ferrite.cdc.subscribe(`${prefix}:*`, { from: checkpoint });
      expect((await take(feed, 2)).map((event) => [event.key, event.value])).toEqual([
        [`${prefix}:b`, '2'],
        [`${prefix}:c`, '3'],
      ]);
    });
  });
});
