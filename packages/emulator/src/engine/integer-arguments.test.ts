import { describe, expect, it } from 'vitest';
import { Emulator } from './emulator.js';

/** Every command family reads integers with the one parser (Redis' string2ll rules). */
describe('integer arguments', () => {
  it.each([
    ['VECTOR.SEARCH TOP_K', ['VECTOR.SEARCH', 'ints:v', Buffer.alloc(4).toString('latin1'), 'TOP_K']],
    ['CRDT.COUNTER.INCR', ['CRDT.COUNTER.INCR', 'ints:c']],
    ['CDC.POLL COUNT', ['CDC.POLL', '1', 'COUNT']],
    ['SEMANTIC.SET EX', ['SEMANTIC.SET', 'ints:s', 'text', 'value', 'EX']],
    ['INCRBY', ['INCRBY', 'ints:k']],
  ])('%s refuses leading zeros, a plus sign and 2^63, and takes 10', async (_label, prefix) => {
    const emulator = new Emulator();
    const session = emulator.createSession();
    const run = (...parts: string[]) => emulator.execute(session, parts.map((p) => Buffer.from(p, 'latin1')));
    await run('VECTOR.INDEX.CREATE', 'ints:v', 'DIM', '1');
    await run('CDC.SUBSCRIBE', '*');
    for (const bad of ['010', '+10', '9223372036854775808', ' 10']) {
      expect(await run(...prefix, bad)).toMatchObject({ kind: 'error' });
    }
    expect(await run(...prefix, '10')).not.toMatchObject({ kind: 'error' });
  });
});
