import { FerriteReplyError, type WireCommand } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { normaliseReply } from './normalise.js';

// What ioredis hands over for shapes a real Redis 7.0 cannot produce here (ZRANK … WITHSCORE is
// Redis 7.2), built as its decoder builds them: strings as Buffers, numbers as JS strings.
const command = (name: string, ...args: string[]): WireCommand => ({ name, args });

describe('normaliseReply on decoded shapes', () => {
  it('reads ZRANK … WITHSCORE as an integer rank and a textual score', () => {
    expect(normaliseReply(['2', '3'], command('ZRANK', 'z', 'm', 'WITHSCORE'))).toEqual([2, '3']);
    expect(normaliseReply(['2', '0.5'], command('ZREVRANK', 'z', 'm', 'WITHSCORE'))).toEqual([2, '0.5']);
    expect(normaliseReply('2', command('ZRANK', 'z', 'm'))).toBe(2);
    expect(normaliseReply(null, command('ZRANK', 'z', 'm'))).toBeNull();
  });

  it('treats ZADD as a score only with INCR, in any letter case', () => {
    expect(normaliseReply('4', command('zadd', 'z', 'incr', '1', 'm'))).toBe('4');
    expect(normaliseReply('4', { name: 'ZADD', args: ['z', Buffer.from('Incr'), '1', 'm'] })).toBe('4');
    expect(normaliseReply('1', command('ZADD', 'z', '1', 'm'))).toBe(1);
  });

  it('keeps a __proto__ field of a RESP3 map as data in a Map', () => {
    const decoded: Record<string, unknown> = {};
    Object.defineProperty(decoded, '__proto__', { value: Buffer.from('x'), enumerable: true, configurable: true, writable: true });
    decoded['constructor'] = Buffer.from('y');
    const reply = normaliseReply(decoded, command('HGETALL', 'h'));
    expect(reply).toEqual(new Map([['__proto__', 'x'], ['constructor', 'y']]));
    // In the server's order, which `toEqual` on Maps does not check.
    expect([...(reply as Map<string, unknown>).keys()]).toEqual(['__proto__', 'constructor']);
  });

  it('puts integers on the right side of the safe range and of the 64-bit range', () => {
    const get = (raw: string) => normaliseReply(raw, command('INCRBY', 'k', '0'));
    expect(get('9007199254740991')).toBe(9007199254740991);
    expect(get('-9007199254740991')).toBe(-9007199254740991);
    expect(get('9007199254740992')).toBe(9007199254740992n);
    expect(get('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(get('9223372036854775808')).toBe('9223372036854775808');
  });

  it('gives booleans as 1/0 and non-integral numeric text as text, Buffers in binary mode', () => {
    expect(normaliseReply([true, false], command('SMISMEMBER', 's', 'a', 'b'))).toEqual([1, 0]);
    expect(normaliseReply('inf', command('DEBUG'))).toBe('inf');
    expect(normaliseReply('1.5', { name: 'X', args: [], binary: true })).toEqual(Buffer.from('1.5'));
    expect(normaliseReply([Buffer.from([0xff])], { name: 'X', args: [], binary: true })).toEqual([Buffer.from([0xff])]);
  });

  it('fails on an error nested in the reply, with the server text only', () => {
    const nested = Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), {
      name: 'ReplyError',
      command: { name: 'rpush', args: ['k', 'secret'] },
    });
    let thrown: unknown;
    try {
      normaliseReply(['OK', nested], command('EXEC'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FerriteReplyError);
    expect((thrown as FerriteReplyError).command).toBe('EXEC');
    expect((thrown as Error).cause).toBeUndefined();
  });
});
