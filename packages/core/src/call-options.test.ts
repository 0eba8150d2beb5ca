import { describe, expect, it } from 'vitest';
import { blockingTime } from './call-options.js';

describe('blockingTime', () => {
  it('reads BLOCK <ms> anywhere in the arguments, in any case, as text or bytes', () => {
    expect(blockingTime('CDC.POLL', ['sub', 'COUNT', '10', 'BLOCK', '250'])).toBe(250);
    expect(blockingTime('xread', ['block', '1500', 'STREAMS', 's', '$'])).toBe(1500);
    expect(blockingTime('XREAD', [Buffer.from('BLOCK'), Buffer.from('40'), 'STREAMS', 's', '$'])).toBe(40);
    expect(blockingTime('CDC.POLL', ['sub', 'BLOCK', '0'])).toBe(Infinity);
  });

  it('reads the seconds of the blocking list and sorted-set pops', () => {
    expect(blockingTime('BLPOP', ['a', 'b', '2'])).toBe(2000);
    expect(blockingTime('brpop', ['a', '0.5'])).toBe(500);
    expect(blockingTime('BZPOPMIN', ['z', '0'])).toBe(Infinity);
    expect(blockingTime('BLMPOP', ['3', '1', 'l', 'LEFT'])).toBe(3000);
    expect(blockingTime('bzmpop', ['1', '1', 'z', 'MIN'])).toBe(1000);
  });

  it('is 0 for everything else, including values that only look like BLOCK', () => {
    expect(blockingTime('GET', ['k'])).toBe(0);
    expect(blockingTime('PING', [])).toBe(0);
    expect(blockingTime('SET', ['BLOCK', 'not-a-number'])).toBe(0);
    expect(blockingTime('SET', ['k', 'BLOCK'])).toBe(0);
    expect(blockingTime('BLPOP', ['a', 'soon'])).toBe(0);
    // A name seen before in another case reads the same.
    expect(blockingTime('blpop', ['a', '1'])).toBe(1000);
    expect(blockingTime('BLPOP', ['a', '1'])).toBe(1000);
  });
});
