import { describe, expect, it } from 'vitest';
import { Emulator } from './emulator.js';
import type { EngineReply } from './reply.js';

const argv = (...parts: string[]) => parts.map((part) => Buffer.from(part));

/** Engine-level checks of the options, without a socket. */
describe('Emulator options', () => {
  it('databases bounds SELECT', async () => {
    const emulator = new Emulator({ databases: 4 });
    const session = emulator.createSession();
    expect(await emulator.execute(session, argv('SELECT', '3'))).toEqual({ kind: 'simple', value: 'OK' });
    expect(await emulator.execute(session, argv('SELECT', '4'))).toEqual({ kind: 'error', message: 'ERR DB index is out of range' });
    expect(() => new Emulator({ databases: 0 })).toThrow(RangeError);
  });

  it('cdcCapacity sizes the change log; clock stamps events', async () => {
    const emulator = new Emulator({ cdcCapacity: 2, clock: () => 1234 });
    const session = emulator.createSession();
    for (const value of ['1', '2', '3']) await emulator.execute(session, argv('SET', 'k', value));
    expect(emulator.changeLog.capacity).toBe(2);
    expect(emulator.changeLog.retained).toBe(2);
    expect(emulator.changeLog.get(3)?.timestamp).toBe(1234);
  });

  it('semanticTtl applies to SEMANTIC.SET without EX; embedder is used for lookups', async () => {
    let now = 0;
    let embedded = 0;
    const emulator = new Emulator({
      clock: () => now,
      semanticTtl: 10,
      embedder: () => {
        embedded++;
        return Float32Array.of(1, 0);
      },
    });
    const session = emulator.createSession();
    await emulator.execute(session, argv('SEMANTIC.SET', 'ns', 'question', 'answer'));
    expect(await emulator.execute(session, argv('SEMANTIC.GET', 'ns', 'anything else'))).toEqual({ kind: 'bulk', value: Buffer.from('answer') });
    expect(embedded).toBeGreaterThan(0);
    now += 10_001;
    expect(await emulator.execute(session, argv('SEMANTIC.GET', 'ns', 'question'))).toEqual({ kind: 'null' });
  });

  it('password gates every session until AUTH', async () => {
    const emulator = new Emulator({ password: 'pw' });
    const session = emulator.createSession();
    expect(await emulator.execute(session, argv('PING'))).toEqual({ kind: 'error', message: 'NOAUTH Authentication required.' });
    expect(await emulator.execute(session, argv('AUTH', 'default', 'pw'))).toEqual({ kind: 'simple', value: 'OK' });
    expect(((await emulator.execute(session, argv('PING'))) as EngineReply).kind).toBe('simple');
  });

  it('closing a session runs its cleanups and aborts its signal', () => {
    const emulator = new Emulator();
    const session = emulator.createSession();
    let cleaned = 0;
    session.onClose(() => {
      cleaned++;
      throw new Error('a failing cleanup does not stop the others');
    });
    session.onClose(() => cleaned++);
    emulator.closeSession(session);
    emulator.closeSession(session);
    expect(cleaned).toBe(2);
    expect(session.signal.aborted).toBe(true);
    expect(emulator.openSessions()).toEqual([]);
  });
});
