import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../testing/emulator-connection.js';
import type { TestConnection, TestEmulator } from '../testing/emulator-connection.js';
import { plain } from '../testing/raw-client.js';
import type { RespArgument } from '../testing/raw-client.js';
import { crdtCommands } from './commands.js';

const error = (message: string) => ({ error: message });
const WRONGTYPE = error('WRONGTYPE Operation against a key holding the wrong kind of value');

describe.each([2, 3] as const)('CRDT.* over RESP%i', (protocol) => {
  let emulator: TestEmulator;
  let connection: TestConnection;
  const send = async (...args: RespArgument[]) => plain(await connection.send(...args));

  beforeEach(async () => {
    emulator = await startTestEmulator(protocol);
    connection = await emulator.connect();
  });
  afterEach(async () => {
    await emulator.close();
  });

  it('counts up and down, 0 for a missing key', async () => {
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(0);
    expect(await send('CRDT.COUNTER.INCR', 'c', '5')).toBe(5);
    expect(await send('CRDT.COUNTER.INCR', 'c', '-7')).toBe(-2);
    expect(await send('CRDT.COUNTER.INCR', 'c', '0')).toBe(-2);
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(-2);
  });

  it('applies a repeated op-id once and replies the current value', async () => {
    expect(await send('CRDT.COUNTER.INCR', 'c', '10', 'ID', 'op-1')).toBe(10);
    expect(await send('CRDT.COUNTER.INCR', 'c', '10', 'id', 'op-1')).toBe(10);
    expect(await send('CRDT.COUNTER.INCR', 'c', '1')).toBe(11);
    expect(await send('CRDT.COUNTER.INCR', 'c', '10', 'ID', 'op-1')).toBe(11);
    expect(await send('CRDT.COUNTER.INCR', 'other', '10', 'ID', 'op-1')).toBe(10);
  });

  it('replies exact 64-bit values and refuses to overflow', async () => {
    expect(await connection.send('CRDT.COUNTER.INCR', 'c', '9223372036854775807')).toEqual({ type: 'integer', value: 9223372036854775807n });
    expect(await send('CRDT.COUNTER.INCR', 'c', '1')).toEqual(error('ERR increment or decrement would overflow'));
    expect(await send('CRDT.COUNTER.INCR', 'd', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(await send('CRDT.COUNTER.INCR', 'd', '-1', 'ID', 'x')).toEqual(error('ERR increment or decrement would overflow'));
    expect(await send('CRDT.COUNTER.INCR', 'd', '1', 'ID', 'x')).toBe(-9223372036854775807n);
  });

  it.each([
    [['CRDT.COUNTER.INCR', 'c', 'one'], 'ERR value is not an integer or out of range'],
    [['CRDT.COUNTER.INCR', 'c', '1.5'], 'ERR value is not an integer or out of range'],
    [['CRDT.COUNTER.INCR', 'c', '9223372036854775808'], 'ERR value is not an integer or out of range'],
    [['CRDT.COUNTER.INCR', 'c', '1', 'ID'], 'ERR syntax error'],
    [['CRDT.COUNTER.INCR', 'c', '1', 'TAG', 'x'], 'ERR syntax error'],
    [['CRDT.COUNTER.INCR', 'c'], "ERR wrong number of arguments for 'crdt.counter.incr' command"],
    [['CRDT.COUNTER.GET'], "ERR wrong number of arguments for 'crdt.counter.get' command"],
    [['CRDT.SET.ADD', 's'], "ERR wrong number of arguments for 'crdt.set.add' command"],
    [['CRDT.SET.REM', 's'], "ERR wrong number of arguments for 'crdt.set.rem' command"],
    [['CRDT.SET.MEMBERS'], "ERR wrong number of arguments for 'crdt.set.members' command"],
  ])('rejects %j', async (command, message) => {
    expect(await send(...command)).toEqual(error(message));
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(0);
  });

  it('adds, removes and lists set members in insertion order', async () => {
    expect(await send('CRDT.SET.MEMBERS', 's')).toEqual([]);
    expect(await send('CRDT.SET.ADD', 's', 'b', 'a', 'b')).toBe(2);
    expect(await send('CRDT.SET.ADD', 's', 'a', 'c')).toBe(1);
    expect(await send('CRDT.SET.MEMBERS', 's')).toEqual(['b', 'a', 'c']);
    expect(await send('CRDT.SET.REM', 's', 'a', 'zz', 'a')).toBe(1);
    expect(await send('CRDT.SET.REM', 'missing', 'a')).toBe(0);
    expect(await send('CRDT.SET.MEMBERS', 's')).toEqual(['b', 'c']);
    const binary = Buffer.from([0, 255]);
    await send('CRDT.SET.ADD', 'bin', binary);
    expect(await connection.send('CRDT.SET.MEMBERS', 'bin')).toEqual({ type: 'array', items: [{ type: 'bulk', value: binary }] });
  });

  it('answers WRONGTYPE between counters and sets', async () => {
    await send('CRDT.COUNTER.INCR', 'c', '1');
    await send('CRDT.SET.ADD', 's', 'm');
    expect(await send('CRDT.SET.ADD', 'c', 'm')).toEqual(WRONGTYPE);
    expect(await send('CRDT.SET.REM', 'c', 'm')).toEqual(WRONGTYPE);
    expect(await send('CRDT.SET.MEMBERS', 'c')).toEqual(WRONGTYPE);
    expect(await send('CRDT.COUNTER.INCR', 's', '1')).toEqual(WRONGTYPE);
    expect(await send('CRDT.COUNTER.GET', 's')).toEqual(WRONGTYPE);
  });

  it('keeps values outside the key space, dropped by FLUSHDB', async () => {
    await send('CRDT.COUNTER.INCR', 'c', '3', 'ID', 'op');
    await send('CRDT.SET.ADD', 's', 'm');
    expect(await send('EXISTS', 'c', 's')).toBe(0);
    await send('SET', 'c', 'string');
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(3);
    await send('FLUSHDB');
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(0);
    expect(await send('CRDT.SET.MEMBERS', 's')).toEqual([]);
    expect(await send('CRDT.COUNTER.INCR', 'c', '3', 'ID', 'op')).toBe(3);
  });

  it('keeps values per database', async () => {
    await send('CRDT.COUNTER.INCR', 'c', '3');
    await send('SELECT', '2');
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(0);
    await send('CRDT.SET.ADD', 'c', 'm');
    await send('SELECT', '0');
    expect(await send('CRDT.COUNTER.GET', 'c')).toBe(3);
  });
});

describe('crdtCommands specs', () => {
  it('route by the key and mark writes', () => {
    for (const spec of crdtCommands) {
      expect([spec.firstKey, spec.lastKey, spec.step]).toEqual([1, 1, 1]);
      const writes = ['CRDT.COUNTER.INCR', 'CRDT.SET.ADD', 'CRDT.SET.REM'].includes(spec.name);
      expect(spec.flags).toContain(writes ? 'write' : 'readonly');
    }
  });
});
