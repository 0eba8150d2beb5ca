import { FerriteProtocolError, FerriteValidationError, prepareCommand } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../backoff.js';
import { CdcIdRangeError } from '../errors.js';
import { clusterSlotsCommand, primaryOf } from './cluster-slots.js';
import { cdcInfoCommand } from './info.js';
import { cdcPollBinaryCommand, cdcPollCommand, cdcPollWithNextBinaryCommand, cdcPollWithNextCommand, decodeChangeEvent } from './poll.js';
import { cdcSubscribeCommand } from './subscribe.js';
import { cdcUnsubscribeCommand } from './unsubscribe.js';

const args = (wire: { args: readonly unknown[] }) => wire.args.map(String);

describe('CDC command definitions', () => {
  it('encode their arguments, with no routing key (CDC is node-local)', () => {
    const subscribe = prepareCommand(cdcSubscribeCommand, 'user:*', { events: ['set', 'Del'], from: 42 });
    expect(subscribe.wire.name).toBe('CDC.SUBSCRIBE');
    expect(args(subscribe.wire)).toEqual(['user:*', 'EVENTS', 'SET', 'DEL', 'FROM', '42']);
    expect(subscribe.wire.routingKey).toBeNull();
    expect(args(prepareCommand(cdcSubscribeCommand, '*', { from: 'EARLIEST' }).wire)).toEqual(['*', 'FROM', 'EARLIEST']);
    const log = { logId: 'a'.repeat(40), epoch: 2 };
    expect(args(prepareCommand(cdcSubscribeCommand, '*', { from: 9, log }).wire)).toEqual(['*', 'FROM', '9', 'LOG', 'a'.repeat(40), 'EPOCH', '2']);
    expect(args(prepareCommand(cdcPollWithNextCommand, 7, { count: 10, blockMs: 250 }).wire)).toEqual(['7', 'COUNT', '10', 'BLOCK', '250', 'WITHNEXT']);
    expect(prepareCommand(cdcPollWithNextBinaryCommand, 7).wire.binary).toBe(true);
    expect(args(prepareCommand(cdcPollCommand, 7, { count: 10, blockMs: 250 }).wire)).toEqual(['7', 'COUNT', '10', 'BLOCK', '250']);
    expect(prepareCommand(cdcPollBinaryCommand, 7).wire.binary).toBe(true);
    expect(args(prepareCommand(cdcUnsubscribeCommand, 1, 2).wire)).toEqual(['1', '2']);
    expect(cdcPollCommand.retryable).toBe(false);
    expect(cdcSubscribeCommand.retryable).toBe(false);
  });

  it('reject bad arguments with FerriteValidationError', () => {
    expect(() => prepareCommand(cdcSubscribeCommand, '')).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcSubscribeCommand, '*', { events: ['FROM'] })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcSubscribeCommand, '*', { from: 0 })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcSubscribeCommand, '*', { from: 'LATEST', log: { logId: 'a'.repeat(40), epoch: 0 } })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcSubscribeCommand, '*', { from: 1, log: { logId: 'A'.repeat(40), epoch: 0 } })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcSubscribeCommand, '*', { from: 1, log: { logId: 'a'.repeat(40), epoch: -1 } })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcPollCommand, 1, { count: 10_001 })).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcPollCommand, 0)).toThrow(FerriteValidationError);
    expect(() => prepareCommand(cdcUnsubscribeCommand)).toThrow(FerriteValidationError);
  });

  it('decode an event from a RESP3 map and a RESP2 flat array alike', () => {
    const pairs = ['id', 5, 'timestamp', 1_700_000_000_000, 'db', 2, 'op', 'SET', 'key', 'k', 'value', 'v'] as const;
    const expected = { id: 5, timestamp: 1_700_000_000_000, db: 2, op: 'SET', key: 'k', value: 'v' };
    expect(decodeChangeEvent([...pairs])).toEqual(expected);
    const map = new Map<string, string | number>();
    for (let i = 0; i < pairs.length; i += 2) map.set(pairs[i] as string, pairs[i + 1] as string | number);
    expect(decodeChangeEvent(map)).toEqual(expected);
    expect(decodeChangeEvent(['id', 1, 'timestamp', 0, 'db', 0, 'op', 'DEL', 'key', 'k', 'value', null])).toMatchObject({ value: null });
    const binary = decodeChangeEvent(['id', 1, 'timestamp', 0, 'db', 0, 'op', 'SET', 'key', Buffer.from('k'), 'value', Buffer.from([0xff])], true);
    expect(binary.value).toEqual(Buffer.from([0xff]));
    expect(binary.key).toBe('k');
  });

  it('refuse an id beyond 2^53 - 1 instead of rounding it, and a reply missing a field', () => {
    const beyond = 2n ** 53n + 1n;
    const error = (() => {
      try {
        return decodeChangeEvent(['id', beyond, 'timestamp', 0, 'db', 0, 'op', 'SET', 'key', 'k', 'value', null]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CdcIdRangeError);
    expect(error).toBeInstanceOf(FerriteProtocolError);
    expect((error as CdcIdRangeError).id).toBe(beyond);
    expect(() => decodeChangeEvent(['id', 1, 'timestamp', 0, 'db', 0, 'op', 'SET', 'key', 'k'])).toThrow(FerriteProtocolError);
  });

  it('decode CDC.INFO, with the log identity of a v1.2 server and without it before', () => {
    const reply = ['first_id', 3, 'last_id', 9, 'retained', 7, 'capacity', 100, 'subscriptions', 2];
    expect(cdcInfoCommand.decode(reply, { protocol: 2 })).toEqual({ firstId: 3, lastId: 9, retained: 7, capacity: 100, subscriptions: 2 });
    const v12 = [...reply, 'log_id', 'f'.repeat(40), 'epoch', 1, 'epoch_start_id', 5];
    expect(cdcInfoCommand.decode(v12, { protocol: 2 })).toEqual({ firstId: 3, lastId: 9, retained: 7, capacity: 100, subscriptions: 2, logId: 'f'.repeat(40), epoch: 1, epochStartId: 5 });
  });

  it('decode CDC.POLL … WITHNEXT as the next id and the events, and refuse another shape', () => {
    const event = ['id', 5, 'timestamp', 0, 'db', 0, 'op', 'SET', 'key', 'k', 'value', 'v'];
    expect(cdcPollWithNextCommand.decode([12, [event]], { protocol: 3 })).toEqual({ next: 12, events: [{ id: 5, timestamp: 0, db: 0, op: 'SET', key: 'k', value: 'v' }] });
    expect(cdcPollWithNextCommand.decode([40, []], { protocol: 2 })).toEqual({ next: 40, events: [] });
    expect(cdcPollWithNextBinaryCommand.decode([6, [event]], { protocol: 2 }).events[0]?.value).toEqual(Buffer.from('v'));
    expect(() => cdcPollWithNextCommand.decode([event], { protocol: 2 })).toThrow(FerriteProtocolError);
  });

  it('read CLUSTER SLOTS as ranges and their primaries, and tell which primary serves a slot', () => {
    expect(args(prepareCommand(clusterSlotsCommand).wire)).toEqual(['SLOTS']);
    const reply = [
      [0, 5460, ['127.0.0.1', 7000, 'a'.repeat(40)], ['127.0.0.1', 7003, 'd'.repeat(40)]],
      [5461, 16383, ['127.0.0.1', 7001, Buffer.from('b'.repeat(40))]],
      [16384, 16384, ['127.0.0.1', 7002]],
    ];
    const ranges = clusterSlotsCommand.decode(reply, { protocol: 3 });
    expect(ranges).toEqual([
      { start: 0, end: 5460, primary: 'a'.repeat(40) },
      { start: 5461, end: 16383, primary: 'b'.repeat(40) },
    ]);
    expect(primaryOf(ranges, 5460)).toBe('a'.repeat(40));
    expect(primaryOf(ranges, 5461)).toBe('b'.repeat(40));
    expect(primaryOf(ranges.slice(1), 0)).toBeUndefined();
  });
});

describe('reconnectDelay', () => {
  it('doubles from about 25 ms to a 1 s ceiling, with jitter between half and all of it', () => {
    expect(reconnectDelay(0, () => 1)).toBe(25);
    expect(reconnectDelay(0, () => 0)).toBe(13);
    expect(reconnectDelay(2, () => 1)).toBe(100);
    expect(reconnectDelay(10, () => 1)).toBe(1000);
    expect(reconnectDelay(1000, () => 1)).toBe(1000);
    expect(reconnectDelay(1000, () => 0)).toBe(500);
  });
});
