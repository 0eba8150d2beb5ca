import { FerriteProtocolError, FerriteValidationError, prepareCommand } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { crdtCounterGetCommand } from './counter-get.js';
import { crdtCounterIncrCommand } from './counter-incr.js';
import { crdtSetAddCommand } from './set-add.js';
import { crdtSetMembersCommand } from './set-members.js';
import { crdtSetRemoveCommand } from './set-remove.js';

const protocol = { protocol: 3 } as const;

describe('wire shapes (as the Python thin client sends them, plus ID)', () => {
  it('CRDT.COUNTER.INCR key amount ID op-id, routed by the key, retryable', () => {
    const prepared = prepareCommand(crdtCounterIncrCommand, 'page:views', -5, 'op-1');
    expect(prepared.wire).toMatchObject({ name: 'CRDT.COUNTER.INCR', args: ['page:views', '-5', 'ID', 'op-1'], routingKey: 'page:views', readonly: false });
    expect(crdtCounterIncrCommand.retryable).toBe(true);
    expect(prepareCommand(crdtCounterIncrCommand, 'k', -(1n << 63n), 'x').wire.args[1]).toBe('-9223372036854775808');
  });

  it('CRDT.COUNTER.GET key, read-only', () => {
    expect(prepareCommand(crdtCounterGetCommand, 'k').wire).toMatchObject({ name: 'CRDT.COUNTER.GET', args: ['k'], routingKey: 'k', readonly: true });
  });

  it('CRDT.SET.ADD / CRDT.SET.REM key m1 m2 …, retryable', () => {
    expect(prepareCommand(crdtSetAddCommand, 's', 'a', 'b').wire).toMatchObject({ name: 'CRDT.SET.ADD', args: ['s', 'a', 'b'], routingKey: 's' });
    expect(prepareCommand(crdtSetRemoveCommand, 's', 'a').wire).toMatchObject({ name: 'CRDT.SET.REM', args: ['s', 'a'], routingKey: 's' });
    expect([crdtSetAddCommand.retryable, crdtSetRemoveCommand.retryable]).toEqual([true, true]);
    expect([crdtSetAddCommand.readonly, crdtSetRemoveCommand.readonly]).toEqual([false, false]);
  });

  it('CRDT.SET.MEMBERS key, read-only', () => {
    expect(prepareCommand(crdtSetMembersCommand, 's').wire).toMatchObject({ name: 'CRDT.SET.MEMBERS', args: ['s'], routingKey: 's', readonly: true });
  });

  it.each([
    ['a fractional amount', () => prepareCommand(crdtCounterIncrCommand, 'k', 0.5, 'x')],
    ['an unsafe number amount', () => prepareCommand(crdtCounterIncrCommand, 'k', 2 ** 53, 'x')],
    ['a bigint amount beyond int64', () => prepareCommand(crdtCounterIncrCommand, 'k', 1n << 63n, 'x')],
    ['no op-id', () => prepareCommand(crdtCounterIncrCommand, 'k', 1, undefined as unknown as string)],
    ['an empty key', () => prepareCommand(crdtCounterGetCommand, '')],
    ['no members', () => prepareCommand(crdtSetAddCommand, 's')],
  ])('refuses %s', (_name, prepare) => {
    expect(prepare).toThrow(FerriteValidationError);
  });
});

describe('decoders', () => {
  it('read integers exactly, as bigint, from numbers, bigints and text', () => {
    expect(crdtCounterIncrCommand.decode(5, protocol)).toBe(5n);
    expect(crdtCounterIncrCommand.decode(-(1n << 63n), protocol)).toBe(-(1n << 63n));
    expect(crdtCounterGetCommand.decode('9223372036854775807', protocol)).toBe((1n << 63n) - 1n);
    expect(() => crdtCounterGetCommand.decode('OK', protocol)).toThrow(FerriteProtocolError);
    expect(() => crdtCounterGetCommand.decode(1.5, protocol)).toThrow(FerriteProtocolError);
  });

  it('read members as text, from strings or Buffers', () => {
    expect(crdtSetMembersCommand.decode(['a', Buffer.from('é')], protocol)).toEqual(['a', 'é']);
    expect(crdtSetMembersCommand.decode([], protocol)).toEqual([]);
    expect(() => crdtSetMembersCommand.decode('a', protocol)).toThrow(FerriteProtocolError);
    expect(crdtSetAddCommand.decode(2, protocol)).toBe(2);
  });
});
