import { describe, expect, it } from 'vitest';
import { primariesFromClusterNodes } from './cluster-nodes-text.js';

const line = (id: string, address: string, flags: string, ...slots: string[]) =>
  [id, address, flags, '-', '0', '0', '1', 'connected', ...slots].join(' ');

describe('primariesFromClusterNodes', () => {
  it('lists the primaries with their slots, in slot order whichever node answered', () => {
    const text = [
      line('b'.repeat(40), '127.0.0.1:7001@17001', 'myself,master', '5461-10922'),
      line('c'.repeat(40), '127.0.0.1:7002@17002,host-c', 'master', '10923-16383', '[77->-' + 'a'.repeat(40) + ']'),
      line('a'.repeat(40), '127.0.0.1:7000@17000', 'master', '0-5460'),
      line('d'.repeat(40), '127.0.0.1:7003@17003', 'slave', 'a'.repeat(40)),
      '',
    ].join('\n');
    expect(primariesFromClusterNodes(text)).toEqual([
      { id: 'a'.repeat(40), host: '127.0.0.1', port: 7000, slots: [[0, 5460]] },
      { id: 'b'.repeat(40), host: '127.0.0.1', port: 7001, slots: [[5461, 10922]] },
      { id: 'c'.repeat(40), host: '127.0.0.1', port: 7002, slots: [[10923, 16383]] },
    ]);
  });

  it('leaves out failed primaries and those without an address, and reads single slots and IPv6 hosts', () => {
    const text = [
      line('a'.repeat(40), '127.0.0.1:7000@17000', 'master,fail', '0-5460'),
      line('b'.repeat(40), ':0@0', 'master,noaddr'),
      line('c'.repeat(40), '::1:7002@17002', 'master', '42'),
      line('e'.repeat(40), '127.0.0.1:7004@17004', 'master'),
    ].join('\n');
    expect(primariesFromClusterNodes(text)).toEqual([
      { id: 'c'.repeat(40), host: '::1', port: 7002, slots: [[42, 42]] },
      { id: 'e'.repeat(40), host: '127.0.0.1', port: 7004, slots: [] },
    ]);
  });
});
