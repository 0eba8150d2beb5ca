import { createFerrite, isFerriteError, type Reply, type WireCommand } from '@ferrite/core';
import { faultProxy } from '@ferrite/emulator';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { GlideClient, Logger, ProtocolVersion, type GlideClientConfiguration } from '@valkey/valkey-glide';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { glideTransport } from './index.js';

const skip = redisServerMissing();
Logger.init('off');

/** What a call settled with, comparable across transports: the reply, or the error's kind and honesty. */
type Outcome = { readonly reply: Reply } | { readonly error: string; readonly code: string; readonly message: string; readonly maybeApplied: boolean | undefined };

async function outcomeOf(call: Promise<Reply>): Promise<Outcome> {
  try {
    return { reply: await call };
  } catch (error) {
    if (!isFerriteError(error)) throw error;
    return { error: error.name, code: error.code, message: error.message, maybeApplied: (error as { readonly maybeApplied?: boolean }).maybeApplied };
  }
}

/** Eight commands of every kind of reply and decoder, each on keys of its own prefix (a mode's writes never meet another's). */
function mixedCommand(prefix: string, index: number): WireCommand {
  const own = `${prefix}:${String(index)}`;
  switch (index % 8) {
    case 0:
      return { name: 'GET', args: ['batch:text'] }; // bulk, text read
    case 1:
      return { name: 'INCRBY', args: [`${own}:n`, String(index)] }; // integer, a write (bytes)
    case 2:
      return { name: 'LPUSH', args: ['batch:text', 'x'] }; // error reply (WRONGTYPE), a write
    case 3:
      return { name: 'GET', args: [`${own}:missing`] }; // nil
    case 4:
      return { name: 'GET', args: ['batch:bytes'], binary: true }; // a binary read
    case 5:
      return { name: 'GET', args: ['batch:bytes'] }; // not UTF-8: read leniently as text
    case 6:
      return { name: 'HGETALL', args: ['batch:hash'] }; // a map in RESP3
    default:
      return { name: 'INCR', args: ['batch:hash'] }; // error reply, text-free write
  }
}

describe.skipIf(Boolean(skip))('calls of one turn as one GLIDE batch (batchCallsPerTurn)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
    const setup = await GlideClient.createClient({ addresses: [{ host: server.host, port: server.port }] });
    await setup.customCommand(['SET', 'batch:text', 'plain text']);
    await setup.customCommand(['SET', 'batch:bytes', Buffer.from([0xff, 0xfe, 0x41])]);
    await setup.customCommand(['HSET', 'batch:hash', 'field', 'value']);
    setup.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([
    ['RESP2', ProtocolVersion.RESP2],
    ['RESP3', ProtocolVersion.RESP3],
  ])('%s: 64 calls in one turn settle each with exactly what the per-call path gives, sent as batches', async (_, protocol) => {
    const configuration: GlideClientConfiguration = { addresses: [{ host: server.host, port: server.port }], protocol, requestTimeout: 20_000 };
    const run = async (batchCallsPerTurn: boolean): Promise<{ outcomes: Outcome[]; batches: number; singles: number }> => {
      const client = await GlideClient.createClient(configuration);
      const exec = vi.spyOn(client, 'exec');
      const customCommand = vi.spyOn(client, 'customCommand');
      const transport = glideTransport(client, { configuration, closeClient: true, batchCallsPerTurn });
      try {
        const prefix = `${String(protocol)}:${String(batchCallsPerTurn)}`;
        const outcomes = await Promise.all(Array.from({ length: 64 }, (_, index) => outcomeOf(transport.send(mixedCommand(prefix, index)))));
        return { outcomes, batches: exec.mock.calls.length, singles: customCommand.mock.calls.length };
      } finally {
        await transport.close();
      }
    };
    const perCall = await run(false);
    const batched = await run(true);
    expect(batched.outcomes).toEqual(perCall.outcomes);
    // The replies themselves, so that two wrong paths cannot agree unnoticed.
    expect(perCall.outcomes.slice(0, 8)).toEqual([
      { reply: 'plain text' },
      { reply: 1 },
      expect.objectContaining({ error: 'FerriteReplyError', message: expect.stringMatching(/^WRONGTYPE/) }),
      { reply: null },
      { reply: Buffer.from([0xff, 0xfe, 0x41]) },
      { reply: '\uFFFD\uFFFDA' },
      { reply: protocol === ProtocolVersion.RESP3 ? new Map([['field', 'value']]) : ['field', 'value'] },
      expect.objectContaining({ error: 'FerriteReplyError', message: expect.stringMatching(/^WRONGTYPE/) }),
    ]);
    expect(perCall.batches).toBe(0);
    expect(perCall.singles).toBe(64 + 8); // each command once, and each non-UTF-8 text read again as bytes
    // Runs of one decoder go as one batch each; the text reads of a batch that was not UTF-8 are read again, one by one, as bytes.
    expect(batched.batches).toBeGreaterThan(0);
    expect(batched.batches).toBeLessThan(64);
    expect(batched.singles).toBeLessThan(64);
  });

  it('a call alone in its turn, and a blocking one, goes to GLIDE by itself', async () => {
    const configuration: GlideClientConfiguration = { addresses: [{ host: server.host, port: server.port }], requestTimeout: 500 };
    const client = await GlideClient.createClient(configuration);
    const exec = vi.spyOn(client, 'exec');
    const transport = glideTransport(client, { configuration, closeClient: true });
    try {
      expect(await transport.send({ name: 'GET', args: ['batch:text'] })).toBe('plain text');
      expect(await transport.send({ name: 'GET', args: ['batch:text'] })).toBe('plain text');
      expect(exec).not.toHaveBeenCalled();
      // GLIDE gives a blocking command its own wait on top of requestTimeout (500 ms); in a batch it would time out.
      const replies = await Promise.all([
        transport.send({ name: 'GET', args: ['batch:text'] }),
        transport.send({ name: 'SET', args: ['batch:before-blocking', 'x'] }),
        transport.send({ name: 'BLPOP', args: ['batch:empty-list', '1'] }),
      ]);
      expect(replies).toEqual(['plain text', 'OK', null]);
      expect(exec).not.toHaveBeenCalled();
    } finally {
      await transport.close();
    }
  });

  it('a transport closed in the turn its calls were made writes none of those still waiting for the end of the turn', async () => {
    const configuration: GlideClientConfiguration = { addresses: [{ host: server.host, port: server.port }], requestTimeout: 20_000 };
    const client = await GlideClient.createClient(configuration);
    const counter = 'batch:closed-in-turn';
    try {
      const transport = glideTransport(client, { configuration });
      const calls = [1, 2, 3].map(() => outcomeOf(transport.send({ name: 'INCR', args: [counter] })));
      await transport.close();
      const [first, ...queued] = await Promise.all(calls);
      // The first went to GLIDE at once: it may have run. The others were still the transport's.
      expect(first).toMatchObject({ error: 'FerriteConnectionError', maybeApplied: true });
      for (const outcome of queued) expect(outcome).toMatchObject({ error: 'FerriteConnectionError', maybeApplied: false });
      // The same connection (the client stays the caller's): this runs after anything written before it.
      expect(await client.customCommand(['GET', counter])).toBe('1');
    } finally {
      client.close();
    }
  });

  it.each([true, false])(
    'batchCallsPerTurn %s: a cut connection settles every call of a turn by its deadline; each write says it may have run, and none ran twice',
    async (batchCallsPerTurn) => {
      await using proxy = await faultProxy({ target: { host: server.host, port: server.port } });
      const configuration: GlideClientConfiguration = { addresses: [{ host: proxy.host, port: proxy.port }], requestTimeout: 30_000 };
      const [client, direct] = await Promise.all([
        GlideClient.createClient(configuration),
        GlideClient.createClient({ addresses: [{ host: server.host, port: server.port }] }),
      ]);
      const counter = `batch:cut:${String(batchCallsPerTurn)}`;
      const timeout = 2_000;
      const ferrite = createFerrite({ transport: glideTransport(client, { configuration, closeClient: true, batchCallsPerTurn }), timeout });
      try {
        // Replies are held long enough for the server to have applied every command before they could arrive.
        proxy.delay(600);
        const started = performance.now();
        const calls = Array.from({ length: 64 }, (_, index) =>
          outcomeOf(index % 2 === 0 ? ferrite.send('INCR', counter) : ferrite.send('GET', 'batch:text')).then((outcome) => ({ outcome, at: performance.now() - started })),
        );
        for (const deadline = Date.now() + 10_000; Number(await direct.customCommand(['GET', counter])) < 32; ) {
          if (Date.now() > deadline) throw new Error('the writes never reached the server');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await proxy.cut({ mode: 'rst' });
        proxy.passThrough();
        const settled = await Promise.all(calls);
        for (const { outcome, at } of settled) expect(at).toBeLessThan(timeout + 1_500);
        const writes = settled.filter((_, index) => index % 2 === 0).map(({ outcome }) => outcome);
        // Applied by the server, reply lost: never `maybeApplied: false`.
        for (const outcome of writes) expect(outcome).toMatchObject({ maybeApplied: true });
        for (const { outcome } of settled.filter((_, index) => index % 2 === 1)) {
          if (!('reply' in outcome)) expect(outcome.error).toMatch(/Ferrite(Connection|Timeout)Error/);
          else expect(outcome.reply).toBe('plain text');
        }
        expect(await direct.customCommand(['GET', counter])).toBe('32');
      } finally {
        await ferrite.close();
        direct.close();
      }
    },
  );
});
