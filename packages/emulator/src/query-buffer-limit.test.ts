import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRespClient, plain } from './engine/testing/raw-client.js';
import { startEmulatorCluster } from './cluster/start.js';
import { DEFAULT_QUERY_BUFFER_LIMIT, startEmulator } from './server.js';
import type { RunningEmulator } from './server.js';

/** The per-connection query buffer limit (Redis' client-query-buffer-limit), with a small configured limit. */
let server: RunningEmulator;

beforeAll(async () => {
  server = await startEmulator({ queryBufferLimit: 1024 });
});
afterAll(async () => {
  await server.close();
});

describe('queryBufferLimit', () => {
  it('defaults to 1 GiB, as Redis', () => {
    expect(DEFAULT_QUERY_BUFFER_LIMIT).toBe(1024 ** 3);
  });

  it('closes a connection whose unfinished command grows past the limit, with an error', async () => {
    const client = await RawRespClient.connect(server.port);
    expect(plain(await client.send('SET', 'qbl:before', 'x'.repeat(500)))).toBe('+OK');
    // A bulk announced at 1 MiB, of which 2000 bytes arrive: more than 1024 held for one command.
    client.writeRaw(`*3\r\n$3\r\nSET\r\n$7\r\nqbl:big\r\n$1048576\r\n${'y'.repeat(2000)}`);
    const reply = await client.nextReply();
    expect(reply.type).toBe('error');
    expect(plain(reply)).toEqual({ error: expect.stringMatching(/^ERR query buffer limit exceeded: more than 1024 bytes/) });
    await client.closed;
    const other = await RawRespClient.connect(server.port);
    expect(plain(await other.send('EXISTS', 'qbl:big'))).toBe(0);
    expect(plain(await other.send('GET', 'qbl:before'))).toBe('x'.repeat(500));
    other.destroy();
  });

  it('counts arguments already read of the unfinished command, not only the current one', async () => {
    const client = await RawRespClient.connect(server.port);
    // Many small complete arguments of a command that never ends.
    client.writeRaw(`*1000\r\n$3\r\nDEL\r\n${'$10\r\n0123456789\r\n'.repeat(120)}`);
    expect(plain(await client.nextReply())).toEqual({ error: expect.stringContaining('query buffer limit exceeded') });
    await client.closed;
  });

  it('leaves pipelines of complete commands alone, however long in total', async () => {
    const client = await RawRespClient.connect(server.port);
    const replies = Array.from({ length: 50 }, (_, index) => client.send('SET', `qbl:pipe:${index}`, 'z'.repeat(200)));
    expect((await Promise.all(replies)).map(plain)).toEqual(Array.from({ length: 50 }, () => '+OK'));
    client.destroy();
  });

  it('is rejected when not a positive integer', async () => {
    await expect(startEmulator({ queryBufferLimit: 0 })).rejects.toThrow(/queryBufferLimit/);
  });

  it('applies to every node of a cluster', async () => {
    const cluster = await startEmulatorCluster({ primaries: 1, queryBufferLimit: 256 });
    try {
      const client = await RawRespClient.connect(cluster.nodes[0]?.port as number);
      client.writeRaw(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n${'y'.repeat(1000)}`);
      expect(plain(await client.nextReply())).toEqual({ error: expect.stringContaining('more than 256 bytes') });
      await client.closed;
    } finally {
      await cluster.close();
    }
  });
});
