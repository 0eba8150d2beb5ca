import { describe, expect, it } from 'vitest';
import { SlotOwners } from './slot-owners.js';

describe('SlotOwners', () => {
  it('makes an event of a slot from a new log wait for the older owners only, oldest first', () => {
    const owners = new SlotOwners();
    owners.assign(0, 9, 'old');
    expect(owners.before(3, 'old')).toEqual([]);
    expect(owners.moving()).toEqual([]);
    // The keys move from `old` to `new`: `new`'s events wait for `old`, never the other way round.
    expect(owners.before(3, 'new')).toEqual(['old']);
    expect(owners.before(3, 'new')).toEqual(['old']);
    expect(owners.before(3, 'old')).toEqual([]);
    expect(owners.before(3, 'third')).toEqual(['old', 'new']);
    expect(owners.moving()).toEqual([{ slot: 3, owners: ['old', 'new', 'third'] }]);
    // The other slots of the range are not touched.
    expect(owners.before(4, 'old')).toEqual([]);
    expect(owners.before(4, 'new')).toEqual(['old']);
  });

  it('forgets an owner once retired: the slot stops moving with one owner left, and the retired log counts as new if the slot comes back', () => {
    const owners = new SlotOwners();
    owners.assign(7, 7, 'a');
    owners.before(7, 'b');
    owners.retire(7, 'a');
    expect(owners.moving()).toEqual([]);
    expect(owners.before(7, 'b')).toEqual([]);
    // Moved back: `a` is the newer owner now and waits for `b`.
    expect(owners.before(7, 'a')).toEqual(['b']);
    owners.retire(7, 'unknown');
    expect(owners.moving()).toEqual([{ slot: 7, owners: ['b', 'a'] }]);
  });

  it('takes the log of a slot nobody was known to serve as its first owner', () => {
    const owners = new SlotOwners();
    expect(owners.before(100, 'x')).toEqual([]);
    expect(owners.before(100, 'y')).toEqual(['x']);
    owners.retire(100, 'x');
    owners.retire(100, 'y');
    expect(owners.before(100, 'z')).toEqual([]);
  });
});
