import { FerriteConnectionError, FerriteReplyError } from '@ferrite/core';
import type { Transport, WireCommand } from '@ferrite/core';
import { describeTransportConformance } from '@ferrite/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Emulator } from './engine/emulator.js';
import { memoryTransport } from './memory-transport.js';

const cmd = (name: string, ...args: Array<string | Buffer>): WireCommand => ({ name, args });

for (const protocol of [2, 3] as const) {
  describeTransportConformance(
    `memory RESP${protocol}`,
    async () => ({
      transport: memoryTransport({ protocol }),
      teardown: async () => {},
      // No BLPOP in the emulator: a CDC poll that waits for the next write to the key.
      holdConnection: async (dedicated, key) => {
        const subscription = await dedicated.send(cmd('CDC.SUBSCRIBE', key));
        return { reply: dedicated.send(cmd('CDC.POLL', String(subscription), 'BLOCK', '0')), release: cmd('SET', key, 'x') };
      },
    }),
    { protocol },
  );
}

describe('memoryTransport', () => {
  let transport: Transport;
  afterEach(async () => {
    await transport.close();
  });

  it('normalises replies as a driver would, per protocol', async () => {
    const emulator = new Emulator();
    transport = memoryTransport({ emulator, protocol: 3 });
    const resp2 = memoryTransport({ emulator, protocol: 2 });
    expect(transport.name).toBe('memory');
    expect(transport.protocol).toBe(3);
    expect(resp2.protocol).toBe(2);
    await transport.send(cmd('HSET', 'h', 'f', 'v', 'g', 'w'));
    expect(await transport.send(cmd('HGETALL', 'h'))).toEqual(new Map([['f', 'v'], ['g', 'w']]));
    expect(await resp2.send(cmd('HGETALL', 'h'))).toEqual(['f', 'v', 'g', 'w']);
    await transport.send(cmd('ZADD', 'z', '1.5', 'm'));
    expect(await transport.send(cmd('ZSCORE', 'z', 'm'))).toBe('1.5');
    expect(await resp2.send(cmd('ZSCORE', 'z', 'm'))).toBe('1.5');
    await transport.send(cmd('SET', 'big', '9223372036854775806'));
    expect(await transport.send(cmd('INCR', 'big'))).toBe(9223372036854775807n);
    expect(await transport.send(cmd('INCR', 'missing'))).toBe(1);
    expect(await transport.send(cmd('GET', 'nothing'))).toBeNull();
    expect(await transport.send({ name: 'GET', args: ['big'], binary: true })).toEqual(Buffer.from('9223372036854775807'));
    await resp2.close();
  });

  it('rejects error replies with FerriteReplyError carrying the text and the command', async () => {
    transport = memoryTransport();
    await transport.send(cmd('SET', 'k', 'text'));
    const failure = await transport.send(cmd('incr', 'k')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FerriteReplyError);
    expect((failure as FerriteReplyError).serverMessage).toBe('ERR value is not an integer or out of range');
    expect((failure as FerriteReplyError).command).toBe('INCR');
  });

  it('settles every batch entry on its own, in order', async () => {
    transport = memoryTransport();
    const entries = await transport.batch([cmd('SET', 'b', 'x'), cmd('INCR', 'b'), cmd('GET', 'b'), cmd('NOPE')]);
    expect(entries.map((entry) => entry.ok)).toEqual([true, false, true, false]);
    expect(entries[0]).toEqual({ ok: true, value: 'OK' });
    expect(entries[2]).toEqual({ ok: true, value: 'x' });
    const failure = entries[1] as { ok: false; error: FerriteReplyError };
    expect(failure.error).toBeInstanceOf(FerriteReplyError);
    expect(failure.error.serverMessage).toBe('ERR value is not an integer or out of range');
    expect((entries[3] as { ok: false; error: FerriteReplyError }).error.kind).toBe('unknown-command');
  });

  it('isolates dedicated sessions: SELECT stays on its own connection', async () => {
    transport = memoryTransport();
    const dedicated = await transport.dedicated();
    await dedicated.send(cmd('SELECT', '5'));
    await dedicated.send(cmd('SET', 'k', 'in db 5'));
    expect(await transport.send(cmd('GET', 'k'))).toBeNull();
    expect(await dedicated.send(cmd('GET', 'k'))).toBe('in db 5');
    expect(await transport.send(cmd('CLIENT', 'ID'))).not.toBe(await dedicated.send(cmd('CLIENT', 'ID')));
    await dedicated.close();
    await expect(dedicated.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    expect(await transport.send(cmd('PING'))).toBe('PONG');
  });

  it('keeps commands in order behind a blocking one on the same session', async () => {
    transport = memoryTransport();
    const order: string[] = [];
    const sleeping = transport.send(cmd('DEBUG', 'SLEEP', '0.05')).then(() => order.push('sleep'));
    const after = transport.send(cmd('PING')).then(() => order.push('ping'));
    await Promise.all([sleeping, after]);
    expect(order).toEqual(['sleep', 'ping']);
  });

  it("takes back a batch's unstarted commands when its signal fires, with one listener whatever its size", async () => {
    transport = memoryTransport();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const sleeping = transport.send(cmd('DEBUG', 'SLEEP', '0.05'));
      const key = 'batch-withdrawn';
      const batch = transport.batch(Array.from({ length: 20 }, () => cmd('INCR', key)), { signal: controller.signal });
      controller.abort();
      const entries = await batch;
      await sleeping;
      expect(entries).toHaveLength(20);
      for (const entry of entries) expect(entry).toMatchObject({ ok: false, error: { name: 'FerriteConnectionError', maybeApplied: false } });
      expect(await transport.send(cmd('GET', key))).toBeNull();
      // A batch that runs to the end leaves nothing behind on its signal either.
      const done = await transport.batch(Array.from({ length: 20 }, () => cmd('INCR', key)), { signal: new AbortController().signal });
      expect(done.map((entry) => entry.ok)).toEqual(Array.from({ length: 20 }, () => true));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('close ends the sessions of dedicated transports too and is idempotent', async () => {
    const emulator = new Emulator();
    transport = memoryTransport({ emulator });
    const dedicated = await transport.dedicated();
    expect(emulator.openSessions()).toHaveLength(2);
    await transport.close();
    await transport.close();
    expect(emulator.openSessions()).toHaveLength(0);
    await expect(dedicated.send(cmd('PING'))).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(transport.batch([cmd('PING')])).rejects.toBeInstanceOf(FerriteConnectionError);
    await expect(transport.dedicated()).rejects.toBeInstanceOf(FerriteConnectionError);
  });
});
