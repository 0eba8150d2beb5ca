import { describe, expect, it } from 'vitest';
import { blockingTime } from './blocking-time.js';

describe('blockingTime', () => {
  it('reads XREAD and XREADGROUP BLOCK before STREAMS, by keyword position, as text or bytes', () => {
    expect(blockingTime('xread', ['block', '1500', 'STREAMS', 's', '$'])).toBe(1500);
    expect(blockingTime('XREAD', ['COUNT', '10', Buffer.from('BLOCK'), Buffer.from('40'), 'STREAMS', 's', '$'])).toBe(40);
    expect(blockingTime('XREAD', ['BLOCK', '0', 'STREAMS', 's', '$'])).toBe(Infinity);
    expect(blockingTime('XREADGROUP', ['GROUP', 'g', 'c', 'COUNT', '1', 'BLOCK', '250', 'NOACK', 'STREAMS', 's', '>'])).toBe(250);
  });

  it('never reads a value as a keyword: group, consumer, count, keys and ids are data', () => {
    expect(blockingTime('XREAD', ['STREAMS', 'BLOCK', '500'])).toBe(0);
    expect(blockingTime('XREAD', ['COUNT', 'BLOCK', 'STREAMS', 's', '$'])).toBe(0);
    expect(blockingTime('XREADGROUP', ['GROUP', 'BLOCK', '500', 'STREAMS', 's', '>'])).toBe(0);
    expect(blockingTime('XREADGROUP', ['GROUP', 'g', 'BLOCK', 'STREAMS', 's', '>'])).toBe(0);
  });

  it('reads the seconds of the blocking list and sorted-set pops, and the milliseconds of WAIT', () => {
    expect(blockingTime('BLPOP', ['a', 'b', '2'])).toBe(2000);
    expect(blockingTime('brpop', ['a', '0.5'])).toBe(500);
    expect(blockingTime('BRPOPLPUSH', ['a', 'b', '1'])).toBe(1000);
    expect(blockingTime('BLMOVE', ['a', 'b', 'LEFT', 'RIGHT', '3'])).toBe(3000);
    expect(blockingTime('BZPOPMIN', ['z', '0'])).toBe(Infinity);
    expect(blockingTime('BZPOPMAX', ['z', '1'])).toBe(1000);
    expect(blockingTime('BLMPOP', ['3', '1', 'l', 'LEFT'])).toBe(3000);
    expect(blockingTime('bzmpop', ['1', '1', 'z', 'MIN'])).toBe(1000);
    expect(blockingTime('WAIT', ['1', '250'])).toBe(250);
    expect(blockingTime('WAITAOF', ['1', '0', '0'])).toBe(Infinity);
  });

  it('is 0 for every other command, whatever its values say', () => {
    expect(blockingTime('GET', ['k'])).toBe(0);
    expect(blockingTime('PING', [])).toBe(0);
    expect(blockingTime('SET', ['block', '0'])).toBe(0);
    expect(blockingTime('HSET', ['h', 'Block', '5000'])).toBe(0);
    expect(blockingTime('CDC.POLL', ['1', 'BLOCK', '250'])).toBe(0);
    expect(blockingTime('BLPOP', ['a', 'soon'])).toBe(0);
    expect(blockingTime('BLPOP', [])).toBe(0);
  });
});
