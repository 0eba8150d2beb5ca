import { describe, expect, it } from 'vitest';
import { CommandKeyResolver, crc16, slotOf } from './routing.js';
import type { Reply } from '../reply.js';
import type { WireCommand } from '../transport.js';

describe('slots', () => {
  it('computes CRC16/XMODEM', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('matches the slots Redis Cluster assigns', () => {
    // Values from CLUSTER KEYSLOT on redis-server 7.
    expect(slotOf('foo')).toBe(12182);
    expect(slotOf('bar')).toBe(5061);
    expect(slotOf('')).toBe(0);
  });

  it('hashes only a non-empty hash tag', () => {
    expect(slotOf('{user1000}.following')).toBe(slotOf('user1000'));
    expect(slotOf('{user1000}.followers')).toBe(slotOf('{user1000}.following'));
    expect(slotOf('foo{}{bar}')).toBe(slotOf('foo{}{bar}'));
    expect(slotOf('foo{}{bar}')).not.toBe(slotOf('bar'));
    expect(slotOf('foo{{bar}}zap')).toBe(slotOf('{bar'));
    expect(slotOf('foo{bar}{zap}')).toBe(slotOf('bar'));
  });

  it('treats strings as UTF-8 and buffers as bytes', () => {
    expect(slotOf('é')).toBe(slotOf(Buffer.from([0xc3, 0xa9])));
  });
});

describe('CommandKeyResolver', () => {
  const info: Record<string, Reply> = {
    GET: [['get', 2, ['readonly', 'fast'], 1, 1, 1]],
    'VECTOR.INDEX.LIST': [['vector.index.list', 1, ['readonly'], 0, 0, 0]],
    NOPE: [null],
  };

  it('asks COMMAND INFO once per command and picks the first key', async () => {
    const asked: string[] = [];
    const resolver = new CommandKeyResolver(async (command: WireCommand) => {
      asked.push(String(command.args[1]));
      return info[String(command.args[1])] ?? [null];
    });
    expect(await resolver.routingKey({ name: 'get', args: ['k1'] })).toBe('k1');
    expect(await resolver.routingKey({ name: 'GET', args: ['k2'] })).toBe('k2');
    expect(await resolver.routingKey({ name: 'VECTOR.INDEX.LIST', args: [] })).toBeNull();
    expect(await resolver.routingKey({ name: 'NOPE', args: ['x'] })).toBeNull();
    expect(asked).toEqual(['GET', 'VECTOR.INDEX.LIST', 'NOPE']);
  });

  it('uses an explicit routing key without asking', async () => {
    const resolver = new CommandKeyResolver(async () => {
      throw new Error('must not ask');
    });
    expect(await resolver.routingKey({ name: 'VECTOR.ADD', args: ['idx'], routingKey: 'idx' })).toBe('idx');
    expect(await resolver.routingKey({ name: 'CDC.INFO', args: [], routingKey: null })).toBeNull();
  });

  it('asks again after a failed lookup', async () => {
    let calls = 0;
    const resolver = new CommandKeyResolver(async () => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return info['GET'] as Reply;
    });
    await expect(resolver.routingKey({ name: 'GET', args: ['k'] })).rejects.toThrow('connection lost');
    expect(await resolver.routingKey({ name: 'GET', args: ['k'] })).toBe('k');
  });
});
