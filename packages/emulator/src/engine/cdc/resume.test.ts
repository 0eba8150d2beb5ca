import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emulator } from '../emulator.js';
import { startTestEmulator } from '../testing/emulator-connection.js';
import type { TestConnection, TestEmulator } from '../testing/emulator-connection.js';
import { RawRespClient, plain } from '../testing/raw-client.js';
import type { Plain, RespArgument } from '../testing/raw-client.js';

/** PROTOCOL.md §8.1 on a single server: the log's identity, POLL … WITHNEXT, FROM … LOG … EPOCH. */
describe.each([2, 3] as const)('resuming a change feed over RESP%i', (protocol) => {
  let emulator: TestEmulator;
  let connection: TestConnection;
  const send = async (...args: RespArgument[]) => plain(await connection.send(...args));
  const log = () => emulator.running.emulator.changeLog;
  const keysOf = (events: Plain): string[] =>
    (events as Plain[]).map((e) => (e instanceof Map ? (e.get('key') as string) : ((e as Plain[])[9] as string)));
  const infoField = (reply: Plain, field: string): Plain | undefined => {
    if (reply instanceof Map) return reply.get(field);
    const items = reply as Plain[];
    return items[items.indexOf(field) + 1];
  };

  beforeEach(async () => {
    emulator = await startTestEmulator(protocol, { cdcCapacity: 20 });
    connection = await emulator.connect();
  });
  afterEach(async () => {
    await emulator.close();
  });

  it('reports log_id, epoch and epoch_start_id in CDC.INFO; FLUSHALL keeps the log', async () => {
    const before = await send('CDC.INFO');
    expect(infoField(before, 'log_id')).toMatch(/^[0-9a-f]{40}$/);
    expect([infoField(before, 'epoch'), infoField(before, 'epoch_start_id')]).toEqual([0, 1]);
    await send('SET', 'k', 'v');
    await send('FLUSHALL');
    const after = await send('CDC.INFO');
    expect(infoField(after, 'log_id')).toBe(infoField(before, 'log_id'));
    expect(infoField(after, 'last_id')).toBe(2);
  });

  it('POLL … WITHNEXT replies [next id, events], the next id past every event scanned', async () => {
    const id = String(await send('CDC.SUBSCRIBE', 'quiet:*'));
    const empty = await connection.send('CDC.POLL', id, 'WITHNEXT');
    expect(empty.type).toBe('array');
    expect(plain(empty)).toEqual([1, []]);
    await send('SET', 'quiet:1', 'a');
    for (let i = 0; i < 5; i++) await send('SET', `loud:${i}`, 'b');
    const [next, events] = (await send('CDC.POLL', id, 'withnext')) as [number, Plain];
    expect([next, keysOf(events)]).toEqual([7, ['quiet:1']]);
    for (let i = 0; i < 5; i++) await send('SET', `loud:${i}`, 'c');
    // Nothing matches, yet the position moved past the other keys' writes.
    expect(await send('CDC.POLL', id, 'COUNT', '3', 'WITHNEXT', 'BLOCK', '10')).toEqual([12, []]);
    // COUNT stops the scan at the last event returned: next is one past it.
    await send('SET', 'quiet:2', 'a');
    await send('SET', 'quiet:3', 'a');
    const [afterOne, one] = (await send('CDC.POLL', id, 'COUNT', '1', 'WITHNEXT')) as [number, Plain];
    expect([afterOne, keysOf(one)]).toEqual([13, ['quiet:2']]);
    // A client resuming from the saved next id loses nothing and, with capacity 20, is not expired.
    for (let i = 0; i < 15; i++) await send('SET', `loud:${i}`, 'd');
    const resumed = String(await send('CDC.SUBSCRIBE', 'quiet:*', 'FROM', String(afterOne)));
    expect(keysOf(await send('CDC.POLL', resumed))).toEqual(['quiet:3']);
  });

  it('refuses another log: ERR CDC log mismatch names the log this node serves', async () => {
    await send('SET', 'k', 'v');
    const other = 'f'.repeat(40);
    expect(await send('CDC.SUBSCRIBE', '*', 'FROM', '1', 'LOG', other, 'EPOCH', '0')).toEqual({
      error: `ERR CDC log mismatch: this node serves log ${log().logId}`,
    });
    expect(await send('CDC.SUBSCRIBE', '*', 'FROM', 'LATEST', 'LOG', other, 'EPOCH', '0')).toEqual({
      error: `ERR CDC log mismatch: this node serves log ${log().logId}`,
    });
    const id = String(await send('CDC.SUBSCRIBE', '*', 'FROM', '1', 'LOG', log().logId, 'EPOCH', '0'));
    expect(keysOf(await send('CDC.POLL', id))).toEqual(['k']);
  });

  it('refuses a position a failover rolled back, with where the old epoch ends; accepts the others', async () => {
    for (const key of ['a', 'b', 'c']) await send('SET', key, '1');
    // What a replica had copied when it was promoted: events 1–3 of epoch 0.
    const replicaCopy = log().snapshot();
    for (const key of ['d', 'e']) await send('SET', key, '1'); // 4 and 5: acknowledged, never copied
    log().replaceWith(replicaCopy);
    log().beginEpoch();
    await send('SET', 'f', '2'); // id 4 again, in epoch 1
    const logId = log().logId;
    const from = (next: number, epoch: number) => send('CDC.SUBSCRIBE', '*', 'FROM', String(next), 'LOG', logId, 'EPOCH', String(epoch));
    expect(await from(6, 0)).toEqual({ error: 'ERR CDC position lost: epoch 0 ends at 3' });
    expect(await from(5, 0)).toEqual({ error: 'ERR CDC position lost: epoch 0 ends at 3' });
    // Saw up to 3: nothing it saw was rolled back; it continues with the new epoch's event 4.
    expect(keysOf(await send('CDC.POLL', String(await from(4, 0))))).toEqual(['f']);
    expect(keysOf(await send('CDC.POLL', String(await from(5, 1))))).toEqual([]);
    expect(infoField(await send('CDC.INFO'), 'epoch_start_id')).toBe(4);
  });

  it('still reports an expired position after the LOG and EPOCH checks', async () => {
    for (let i = 0; i < 25; i++) await send('SET', `k${i}`, 'v');
    expect(await send('CDC.SUBSCRIBE', '*', 'FROM', '2', 'LOG', log().logId, 'EPOCH', '0')).toEqual({
      error: 'ERR CDC position expired: oldest retained event is 6',
    });
  });

  it('ends the subscriptions of a log replaced whole, a blocked poll included', async () => {
    const reader = await emulator.connect();
    const id = String(plain(await reader.send('CDC.SUBSCRIBE', '*')));
    const waiting = reader.send('CDC.POLL', id, 'BLOCK', '0');
    await send('PING'); // the reader's POLL is running before this reply comes
    log().replaceWith(new Emulator().changeLog.snapshot());
    expect(plain(await waiting)).toEqual({ error: `ERR no such CDC subscription: ${id}` });
    expect(plain(await reader.send('CDC.POLL', id))).toEqual({ error: `ERR no such CDC subscription: ${id}` });
  });

  it.each([
    [['CDC.SUBSCRIBE', '*', 'FROM', '1', 'LOG', 'x'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'FROM', '1', 'EPOCH', '0'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'FROM', '1', 'LOG'], 'ERR syntax error'],
    [['CDC.SUBSCRIBE', '*', 'FROM', '1', 'LOG', 'x', 'EPOCH', '-1'], 'ERR value is not an integer or out of range'],
    [['CDC.SUBSCRIBE', '*', 'FROM', '1', 'LOG', 'x', 'EPOCH', 'one'], 'ERR value is not an integer or out of range'],
    [['CDC.SUBSCRIBE', '*', 'EVENTS', 'LOG', 'x', 'EPOCH', '0'], 'ERR syntax error'],
    [['CDC.POLL', '1', 'WITHNEXT', 'COUNT'], 'ERR syntax error'],
  ])('rejects %j', async (command, message) => {
    expect(await send('CDC.SUBSCRIBE', '*')).toBe(1);
    expect(await send(...command)).toEqual({ error: message });
  });
});

describe('RunningEmulator.restart()', () => {
  it('comes back on the same port with no data and a new log, closing every connection', async () => {
    const server = await startTestEmulator(2);
    try {
      const before = await server.connect();
      await before.send('SET', 'k', 'v');
      const oldLog = server.running.emulator.changeLog.logId;
      await server.running.restart();
      await before.client.closed;
      const after = await RawRespClient.connect(server.running.port);
      try {
        expect(plain(await after.send('GET', 'k'))).toBeNull();
        const info = plain(await after.send('CDC.INFO')) as Plain[];
        expect(info[info.indexOf('log_id') + 1]).toBe(server.running.emulator.changeLog.logId);
        expect(server.running.emulator.changeLog.logId).not.toBe(oldLog);
        expect(info[info.indexOf('last_id') + 1]).toBe(0);
      } finally {
        await after.close();
      }
    } finally {
      await server.close();
    }
  });

  it('serves the emulator it is given, and needs one when it was started with one', async () => {
    const server = await startTestEmulator(2, { emulator: new Emulator() });
    try {
      await expect(server.running.restart()).rejects.toThrow(TypeError);
      const next = new Emulator({ password: 'p' });
      await server.running.restart({ emulator: next });
      expect(server.running.emulator).toBe(next);
      const client = await RawRespClient.connect(server.running.port);
      expect(plain(await client.send('GET', 'k'))).toEqual({ error: 'NOAUTH Authentication required.' });
      await client.close();
    } finally {
      await server.close();
    }
    await expect(server.running.restart({ emulator: new Emulator() })).rejects.toThrow(/closed/);
  });
});
