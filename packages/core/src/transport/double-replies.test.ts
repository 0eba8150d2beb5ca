import { describe, expect, it } from 'vitest';
import { doubleLayout } from './double-replies.js';

describe('doubleLayout', () => {
  it('names the replies made of scores, in any case', () => {
    expect(doubleLayout({ name: 'zscore', args: ['z', 'm'] })).toBe('all');
    expect(doubleLayout({ name: 'ZRANGE', args: ['z', '0', '-1', 'WITHSCORES'] })).toBe('all');
    expect(doubleLayout({ name: 'INCRBYFLOAT', args: ['k', '1.5'] })).toBe('all');
  });

  it('tells ZADD INCR (a score) from ZADD (a count), and ZRANK WITHSCORE pairs', () => {
    expect(doubleLayout({ name: 'ZADD', args: ['z', 'incr', '1', 'm'] })).toBe('all');
    expect(doubleLayout({ name: 'ZADD', args: [Buffer.from('z'), 'NX', '1', 'm'] })).toBe('none');
    expect(doubleLayout({ name: 'ZRANK', args: ['z', 'm', 'WITHSCORE'] })).toBe('second');
  });

  it('leaves every other reply to integers', () => {
    expect(doubleLayout({ name: 'INCRBY', args: ['k', '1'] })).toBe('none');
    expect(doubleLayout({ name: 'CRDT.COUNTER.INCR', args: ['k', '1'] })).toBe('none');
  });
});
