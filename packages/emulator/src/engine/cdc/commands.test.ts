import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestEmulator } from '../testing/emulator-connection.js';
import type { TestConnection, TestEmulator } from '../testing/emulator-connection.js';
import { plain } from '../testing/raw-client.js';
import type { Plain, RespArgument } from '../testing/raw-client.js';
import { cdcCommands } from './commands.js';

const error = (message: string) => ({ error: message });
const CAPACITY = 50;

describe.each([2, 3] as const)('CDC.* over RESP%i', (protocol) => {
  let clock: { now: number };
  let emulator: TestEmulator;
  let connection: TestConnection;
  const send = async (...args: RespArgument[]) => plain(await connection.send(...args));

  /** An event as `plain` shows it: a Map in RESP3, a flat array in RESP2. */
  const event = (id: number, op: string, key: string, value: string | null, db = 0, timestamp = clock.now): Plain => {
    const pairs: Array<[string, Plain]> = [
      ['id', id],
      ['timestamp', timestamp],
      ['db', db],
      ['op', op],
      ['key', key],
      ['value', value],
    ];
    return protocol === 3 ? new Map(pairs) : pairs.flat();
  };
  const keysOf = (events: Plain): string[] =>
    (events as Plain[]).map((e) => (e instanceof Map ? (e.get('key') as string) : ((e as Plain[])[9] as string)));

  beforeEach(async () => {
    clock = { now: 1_700_000_000_000 };
    emulator = await startTestEmulator(protocol, { clock: () => clock.now, cdcCapacity: CAPACITY });
    connection = await emulator.connect();
  });
  afterEach(async () => {
    await emulator.close();
  });

  /** Resolves once the server is running `command` for the connection named `name` (no sleeping). */
  async function untilRunning(name: string, command: string): Promise<void> {
    await vi.waitFor(
      async () => {
        const list = String(await send('CLIENT', 'LIST'));
        const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
        expect(line).toContain(` cmd=${command}`);
      },
      { timeout: 10_000, interval: 10 },
    );
  }

  it('delivers events after the subscription by default (FROM LATEST), as maps with all six fields', async () => {
    await send('SET', 'before', '1');
    const id = await send('CDC.SUBSCRIBE', '*');
    expect(id).toBe(1);
    await send('SET', 'user:1', 'alice');
    await send('DEL', 'user:1');
    const reply = await connection.send('CDC.POLL', String(id));
    const first = reply.type === 'array' ? reply.items?.[0] : undefined;
    expect(first?.type).toBe(protocol === 3 ? 'map' : 'array');
    expect(plain(reply)).toEqual([event(2, 'SET', 'user:1', 'alice'), event(3, 'DEL', 'user:1', null)]);
    expect(await send('CDC.POLL', String(id))).toEqual([]);
  });

  it('sends a null value as `$-1` in RESP2 and `_` in RESP3', async () => {
    const id = await send('CDC.SUBSCRIBE', '*');
    await send('SET', 'k', 'v');
    await send('DEL', 'k');
    const reply = await connection.send('CDC.POLL', String(id));
    const fields = reply.type === 'array' ? reply.items?.[1] : undefined;
    const value = fields?.type === 'map' ? fields.entries[5]?.[1] : fields?.type === 'array' ? fields.items?.[11] : undefined;
    expect(value).toEqual(protocol === 3 ? { type: 'null' } : { type: 'bulk', value: null });
  });

  it('starts FROM EARLIEST and FROM <id>', async () => {
    for (const key of ['a', 'b', 'c']) await send('SET', key, 'v');
    expect(keysOf(await send('CDC.POLL', String(await send('CDC.SUBSCRIBE', '*', 'FROM', 'EARLIEST'))))).toEqual(['a', 'b', 'c']);
    expect(keysOf(await send('CDC.POLL', String(await send('CDC.SUBSCRIBE', '*', 'from', '2'))))).toEqual(['b', 'c']);
    expect(keysOf(await send('CDC.POLL', String(await send('CDC.SUBSCRIBE', '*', 'FROM', 'latest'))))).toEqual([]);
    const future = await send('CDC.SUBSCRIBE', '*', 'FROM', '5');
    await send('SET', 'd', 'v');
    await send('SET', 'e', 'v');
    expect(keysOf(await send('CDC.POLL', String(future)))).toEqual(['e']);
  });

  it('reports an expired position, on SUBSCRIBE and on POLL', async () => {
    const behind = await send('CDC.SUBSCRIBE', '*', 'FROM', 'EARLIEST');
    for (let i = 0; i < CAPACITY + 3; i++) await send('SET', `k${i}`, 'v');
    expect(await send('CDC.SUBSCRIBE', '*', 'FROM', '3')).toEqual(error('ERR CDC position expired: oldest retained event is 4'));
    expect(await send('CDC.POLL', String(behind))).toEqual(error('ERR CDC position expired: oldest retained event is 4'));
    expect(keysOf(await send('CDC.POLL', String(await send('CDC.SUBSCRIBE', '*', 'FROM', '4')), 'COUNT', '1'))).toEqual(['k3']);
    expect(keysOf(await send('CDC.POLL', String(await send('CDC.SUBSCRIBE', '*', 'FROM', 'EARLIEST')), 'COUNT', '1'))).toEqual(['k3']);
  });

  it('filters by glob pattern and EVENTS, case-insensitively for ops', async () => {
    const users = await send('CDC.SUBSCRIBE', 'user:[0-9]*');
    const deletes = await send('CDC.SUBSCRIBE', '*', 'EVENTS', 'del', 'EXPIRED', 'FROM', 'EARLIEST');
    await send('SET', 'user:1', 'a');
    await send('SET', 'user:x', 'b');
    await send('SET', 'order:1', 'c');
    await send('DEL', 'order:1');
    expect(keysOf(await send('CDC.POLL', String(users)))).toEqual(['user:1']);
    expect(keysOf(await send('CDC.POLL', String(deletes)))).toEqual(['order:1']);
  });

  it('honours COUNT and moves past non-matching events: a 1-in-10000 pattern still gets every match', async () => {
    const big = await startTestEmulator(protocol, { cdcCapacity: 100_000 });
    try {
      const local = await big.connect();
      const id = plain(await local.send('CDC.SUBSCRIBE', 'rare:*'));
      for (let batch = 0; batch < 3; batch++) {
        const args: string[] = [];
        for (let i = batch * 10_000; i < (batch + 1) * 10_000; i++) args.push(i % 10_000 === 4_242 ? `rare:${i}` : `common:${i}`, 'v');
        expect(plain(await local.send('MSET', ...args))).toBe('+OK');
      }
      const seen: string[] = [];
      for (let polls = 0; polls < 4; polls++) seen.push(...keysOf(plain(await local.send('CDC.POLL', String(id), 'COUNT', '1'))));
      expect(seen).toEqual(['rare:4242', 'rare:14242', 'rare:24242']);
      const all = plain(await local.send('CDC.SUBSCRIBE', '*', 'FROM', 'EARLIEST'));
      expect((plain(await local.send('CDC.POLL', String(all))) as Plain[]).length).toBe(100);
      expect((plain(await local.send('CDC.POLL', String(all), 'COUNT', '10000')) as Plain[]).length).toBe(10_000);
    } finally {
      await big.close();
    }
  });

  it('BLOCK wakes on the first matching event and times out empty', async () => {
    const id = await send('CDC.SUBSCRIBE', 'wanted:*');
    expect(await send('CDC.POLL', String(id), 'BLOCK', '20')).toEqual([]);
    const reader = await emulator.connect();
    await reader.send('CLIENT', 'SETNAME', 'reader');
    const subscription = plain(await reader.send('CDC.SUBSCRIBE', 'wanted:*'));
    const waiting = reader.send('CDC.POLL', String(subscription), 'BLOCK', '0');
    await untilRunning('reader', 'cdc.poll');
    const writer = connection;
    await writer.send('SET', 'other', 'x');
    await writer.send('SET', 'wanted:1', 'y');
    expect(keysOf(plain(await waiting))).toEqual(['wanted:1']);
  });

  it('scopes subscriptions to their connection and ends them when it closes', async () => {
    const other = await emulator.connect();
    const mine = await send('CDC.SUBSCRIBE', '*');
    const theirs = plain(await other.send('CDC.SUBSCRIBE', '*'));
    expect(theirs).toBe((mine as number) + 1);
    expect(await send('CDC.POLL', String(theirs))).toEqual(error(`ERR no such CDC subscription: ${theirs}`));
    expect(await send('CDC.UNSUBSCRIBE', String(theirs))).toBe(0);
    expect(infoField(await send('CDC.INFO'), 'subscriptions')).toBe(2);
    await other.close();
    await vi.waitFor(async () => expect(infoField(await send('CDC.INFO'), 'subscriptions')).toBe(1), { timeout: 10_000, interval: 10 });
    expect(await send('CDC.UNSUBSCRIBE', String(mine), String(mine), '999', 'x')).toBe(1);
    expect(await send('CDC.POLL', String(mine))).toEqual(error(`ERR no such CDC subscription: ${mine}`));
  });

  it('subscribes with a pattern of 100 000 separated stars and polls it like any other', async () => {
    // Each `*` used to cost a stack frame: this overflowed on SUBSCRIBE's first poll and on KEYS.
    const pattern = '*a'.repeat(100_000);
    const hit = 'a'.repeat(100_000);
    const miss = 'a'.repeat(99_999);
    const id = await send('CDC.SUBSCRIBE', pattern);
    expect(typeof id).toBe('number');
    await send('SET', hit, '1');
    await send('SET', miss, '2');
    expect(keysOf(await send('CDC.POLL', String(id)))).toEqual([hit]);
    expect(await send('KEYS', pattern)).toEqual([hit]);
  });

  it('reports the log in CDC.INFO', async () => {
    const empty = await connection.send('CDC.INFO');
    expect(empty.type).toBe(protocol === 3 ? 'map' : 'array');
    const logId = emulator.running.emulator.changeLog.logId;
    const identity = { log_id: logId, epoch: 0, epoch_start_id: 1 };
    expect(plain(empty)).toEqual(info({ first_id: 0, last_id: 0, retained: 0, capacity: CAPACITY, subscriptions: 0, ...identity }));
    for (let i = 0; i < CAPACITY + 2; i++) await send('SET', `k${i}`, 'v');
    await send('CDC.SUBSCRIBE', '*');
    expect(await send('CDC.INFO')).toEqual(info({ first_id: 3, last_id: CAPACITY + 2, retained: CAPACITY, capacity: CAPACITY, subscriptions: 1, ...identity }));
  });

  it('ends the subscription of a connection that closes while blocked in CDC.POLL', async () => {
    const reader = await emulator.connect();
    await reader.send('CLIENT', 'SETNAME', 'blocked');
    const id = plain(await reader.send('CDC.SUBSCRIBE', '*'));
    const waiting = reader.send('CDC.POLL', String(id), 'BLOCK', '0').catch((cause: unknown) => cause);
    await untilRunning('blocked', 'cdc.poll');
    reader.client.destroy();
    expect(await waiting).toBeInstanceOf(Error);
    await vi.waitFor(async () => expect(infoField(await send('CDC.INFO'), 'subscriptions')).toBe(0), { timeout: 10_000, interval: 10 });
    await send('SET', 'after', 'close');
    expect(infoField(await send('CDC.INFO'), 'last_id')).toBe(1);
  });

  it('records key-space writes of every database but nothing for the extensions', async () => {
    const id = await send('CDC.SUBSCRIBE', '*', 'FROM', 'EARLIEST');
    await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '1');
    await send('VECTOR.ADD', 'idx', 'a', Buffer.alloc(4));
    await send('SEMANTIC.SET', 'ns', 'text', 'value');
    await send('CRDT.COUNTER.INCR', 'c', '1');
    await send('CRDT.SET.ADD', 's', 'm');
    expect(await send('CDC.POLL', String(id))).toEqual([]);
    await send('SELECT', '3');
    await send('SET', 'k', 'v');
    expect(await send('CDC.POLL', String(id))).toEqual([event(1, 'SET', 'k', 'v', 3)]);
  });

  it.each([
    [['CDC.SUBSCRIBE'], "ERR wrong number of arguments for 'cdc.subscribe' command"],
    [['CDC.SUBSCRIBE', '*', 'EVENTS'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'EVENTS', 'FROM', 'LATEST'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'FROM'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'FROM', 'yesterday'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'FROM', '-1'], 'ERR value is not an integer or out of range'],
    [['CDC.SUBSCRIBE', '*', 'SINCE', '1'], 'ERR syntax error'],
    [['CDC.POLL'], "ERR wrong number of arguments for 'cdc.poll' command"],
    [['CDC.POLL', '42'], 'ERR no such CDC subscription: 42'],
    [['CDC.POLL', 'abc'], 'ERR no such CDC subscription: abc'],
    [['CDC.POLL', '1', 'COUNT', '0'], 'ERR COUNT must be an integer between 1 and 10000'],
    [['CDC.POLL', '1', 'COUNT', '10001'], 'ERR COUNT must be an integer between 1 and 10000'],
    [['CDC.POLL', '1', 'BLOCK', 'soon'], 'ERR timeout is not an integer or out of range'],
    [['CDC.POLL', '1', 'BLOCK', '-1'], 'ERR timeout is negative'],
    [['CDC.POLL', '1', 'COUNT'], 'ERR syntax error'],
    [['CDC.POLL', '1', 'WAIT', '1'], 'ERR syntax error'],
    [['CDC.UNSUBSCRIBE'], "ERR wrong number of arguments for 'cdc.unsubscribe' command"],
    [['CDC.INFO', 'x'], "ERR wrong number of arguments for 'cdc.info' command"],
  ])('rejects %j', async (command, message) => {
    expect(await send('CDC.SUBSCRIBE', '*')).toBe(1);
    expect(await send(...command)).toEqual(error(message));
  });

  function info(fields: Record<string, number | string>): Plain {
    return protocol === 3 ? new Map(Object.entries(fields)) : Object.entries(fields).flat();
  }
  function infoField(reply: Plain, field: string): Plain | undefined {
    if (reply instanceof Map) return reply.get(field);
    const items = reply as Plain[];
    return items[items.indexOf(field) + 1];
  }
});

describe('cdcCommands specs', () => {
  it('have no keys', () => {
    expect(cdcCommands.map((spec) => spec.name).sort()).toEqual(['CDC.INFO', 'CDC.POLL', 'CDC.SUBSCRIBE', 'CDC.UNSUBSCRIBE']);
    for (const spec of cdcCommands) expect([spec.firstKey, spec.lastKey, spec.step]).toEqual([0, 0, 0]);
  });
});
