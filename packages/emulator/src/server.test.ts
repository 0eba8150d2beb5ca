import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRespClient, plain } from './engine/testing/raw-client.js';
import { startEmulator } from './server.js';
import type { RunningEmulator } from './server.js';

let server: RunningEmulator;
beforeAll(async () => {
  server = await startEmulator();
});
afterAll(async () => {
  await server.close();
});

describe('smoke', () => {
  it('answers', async () => {
    const client = await RawRespClient.connect(server.port);
    expect(plain(await client.send('PING'))).toBe('+PONG');
    expect(plain(await client.send('SET', 'a', '1'))).toBe('+OK');
    expect(plain(await client.send('INCR', 'a'))).toBe(2);
    expect(plain(await client.send('HELLO', '3'))).toBeInstanceOf(Map);
    expect(plain(await client.send('FOO', 'a', 'b'))).toEqual({ error: "ERR unknown command 'FOO', with args beginning with: 'a' 'b' " });
    await client.close();
  });
});
