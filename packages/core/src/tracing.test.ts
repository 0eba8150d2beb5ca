import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFerrite } from './client.js';
import { defineCommand, prepareCommand } from './command.js';
import { FerriteReplyError, FerriteValidationError } from './errors.js';
import { definePlugin } from './plugin.js';
import { readInteger, type Reply } from './reply.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { FERRITE_COMMAND_CHANNEL, wrapCommandExecution, type FerriteCommandEvent } from './tracing.js';
import type { BatchEntry, DedicatedTransport, Transport, WireCommand } from './transport.js';
import { assertName } from './validate.js';

/**
 * A scripted in-test server: what is under test is what core publishes around the transport.
 * The same events over real TCP on every driver are checked in @ferrite/test-transports.
 */
function scriptedTransport(answer: (command: WireCommand) => Reply): Transport {
  const run = async (command: WireCommand): Promise<Reply> => {
    const reply = answer(command);
    if (typeof reply === 'string' && reply.startsWith('ERR')) throw new FerriteReplyError(command.name, reply);
    return reply;
  };
  const transport: Transport = {
    name: 'scripted',
    protocol: 3,
    server: { address: '10.0.0.7', port: 6380 },
    send: run,
    async batch(commands) {
      return Promise.all(
        commands.map((c) => run(c).then((value): BatchEntry => ({ ok: true, value }), (error): BatchEntry => ({ ok: false, error }))),
      );
    },
    async dedicated(): Promise<DedicatedTransport> {
      const close = async () => {};
      return { ...transport, close, [Symbol.asyncDispose]: close };
    },
    async close() {},
  };
  return transport;
}

const searchLike = defineCommand({
  name: 'VECTOR.SEARCH',
  collection: true,
  readonly: true,
  encode: (index: string, secret: string, vector: Buffer) => {
    assertName(index, 'index');
    return [index, secret, vector];
  },
  decode: (reply) => readInteger(reply),
});
const counterGet = defineCommand({ name: 'CRDT.COUNTER.GET', encode: (key: string) => [key], decode: (reply) => readInteger(reply) });

const probe = definePlugin({
  name: 'probe',
  setup: (ctx) => ({
    search: (index: string, secret: string) => ctx.call(searchLike, index, secret, Buffer.alloc(8)),
    counters: (keys: string[]) => ctx.batch(keys.map((k) => prepareCommand(counterGet, k))),
    searches: (indexes: string[]) => ctx.batch(indexes.map((i) => prepareCommand(searchLike, i, 'x', Buffer.alloc(4)))),
    async dedicatedSearch(index: string) {
      await using dedicated = await ctx.dedicated();
      return dedicated.call(searchLike, index, 'x', Buffer.alloc(4));
    },
  }),
});

const channel = tracingChannel<string, FerriteCommandEvent>(FERRITE_COMMAND_CHANNEL);
type Seen = { readonly phase: string; readonly event: FerriteCommandEvent };

describe('the ferrite:command tracing channel', () => {
  let seen: Seen[] = [];
  const handlers = {
    start: (event: FerriteCommandEvent) => void seen.push({ phase: 'start', event }),
    end: (event: FerriteCommandEvent) => void seen.push({ phase: 'end', event }),
    asyncStart: (event: FerriteCommandEvent) => void seen.push({ phase: 'asyncStart', event }),
    asyncEnd: (event: FerriteCommandEvent) => void seen.push({ phase: 'asyncEnd', event }),
    error: (event: FerriteCommandEvent) => void seen.push({ phase: 'error', event }),
  };
  beforeEach(() => {
    seen = [];
    channel.subscribe(handlers);
  });
  afterEach(() => {
    channel.unsubscribe(handlers);
  });

  const ferrite = createFerrite({
    transport: scriptedTransport((c) => (c.args[0] === 'broken' ? 'ERR no such index' : 1)),
    plugins: [probe],
  });

  it('publishes a plugin call once per phase, with what it is and never its arguments', async () => {
    await ferrite.probe.search('products', 'my secret prompt');
    expect(seen.map((s) => s.phase)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const event = seen[0]!.event;
    expect(seen.every((s) => s.event === event)).toBe(true);
    expect({ ...event, durationMs: typeof event.durationMs }).toEqual({
      operation: 'call',
      command: 'VECTOR.SEARCH',
      commands: ['VECTOR.SEARCH'],
      plugin: 'probe',
      transport: 'scripted',
      protocol: 3,
      batchSize: null,
      collection: 'products',
      server: { address: '10.0.0.7', port: 6380 },
      outcome: 'ok',
      durationMs: 'number',
    });
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    // The reply is not attached as `result`, and the arguments appear only when asked for.
    expect((event as { result?: unknown }).result).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain('secret');
    expect(event.statement).toBe('VECTOR.SEARCH products my secret prompt <8 bytes>');
  });

  it('reports the error class of a failed call on the error sub-channel', async () => {
    await expect(ferrite.probe.search('broken', 'x')).rejects.toBeInstanceOf(FerriteReplyError);
    expect(seen.map((s) => s.phase)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    const event = seen[0]!.event;
    expect(event).toMatchObject({ outcome: 'error', errorClass: 'FerriteReplyError', collection: 'broken' });
    expect(event.error).toBeInstanceOf(FerriteReplyError);
  });

  it('publishes nothing for a call that fails validation, since nothing is sent', async () => {
    await expect(ferrite.probe.search('bad\nname', 'x')).rejects.toBeInstanceOf(FerriteValidationError);
    expect(seen).toEqual([]);
  });

  it('publishes a batch as one event with its size, shared name and failures', async () => {
    await ferrite.probe.counters(['a', 'broken', 'c']);
    const event = seen[0]!.event;
    expect(seen).toHaveLength(4);
    expect(event).toMatchObject({
      operation: 'batch',
      command: 'CRDT.COUNTER.GET',
      batchSize: 3,
      plugin: 'probe',
      // A key that is not marked as a collection is user data: never reported.
      collection: null,
      outcome: 'error',
      errorClass: 'FerriteReplyError',
      failed: 1,
    });
    expect(event.statement).toBe('CRDT.COUNTER.GET a\nCRDT.COUNTER.GET broken\nCRDT.COUNTER.GET c');

    seen = [];
    await ferrite.probe.searches(['one', 'one']);
    expect(seen[0]!.event).toMatchObject({ collection: 'one', outcome: 'ok', failed: 0 });
    seen = [];
    await ferrite.probe.searches(['one', 'two']);
    expect(seen[0]!.event).toMatchObject({ collection: null, command: 'VECTOR.SEARCH' });
  });

  it('publishes send and sendBuffer with no plugin, and dedicated calls with their plugin', async () => {
    await ferrite.send('get', 'user:1');
    await ferrite.sendBuffer('GET', 'user:2');
    await ferrite.probe.dedicatedSearch('products');
    expect(seen.filter((s) => s.phase === 'start').map((s) => [s.event.operation, s.event.command, s.event.plugin, s.event.collection])).toEqual([
      ['send', 'GET', null, null],
      ['send', 'GET', null, null],
      ['call', 'VECTOR.SEARCH', 'probe', 'products'],
    ]);
  });

  it('stops publishing when the last subscriber leaves', async () => {
    channel.unsubscribe(handlers);
    await ferrite.probe.search('products', 'x');
    expect(seen).toEqual([]);
  });
});

describe('wrapCommandExecution', () => {
  const handlers = { start: () => {}, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} };
  /** What the transport saw as the active value when each command reached it: the wrapper's context, or not. */
  const storage = new AsyncLocalStorage<string>();
  const activeAtSend: (string | undefined)[] = [];
  const ferrite = createFerrite({
    transport: scriptedTransport(() => {
      activeAtSend.push(storage.getStore());
      return 1;
    }),
    plugins: [probe],
  });
  beforeEach(() => {
    activeAtSend.length = 0;
    channel.subscribe(handlers);
  });
  afterEach(() => channel.unsubscribe(handlers));

  it('runs each command’s transport work inside the context the wrapper gives, with the published event', async () => {
    const events: FerriteCommandEvent[] = [];
    const outer = wrapCommandExecution((event, run) => storage.run(`outer ${event.command ?? 'BATCH'}`, run));
    const inner = wrapCommandExecution((event, run) => ((events.push(event), storage.getStore()?.startsWith('outer')) ? run() : Promise.reject(new Error('not nested'))));
    try {
      await ferrite.probe.search('products', 'x');
      await ferrite.probe.counters(['a', 'b']);
      await ferrite.send('PING');
    } finally {
      outer();
      inner();
    }
    expect(activeAtSend).toEqual(['outer VECTOR.SEARCH', 'outer CRDT.COUNTER.GET', 'outer CRDT.COUNTER.GET', 'outer PING']);
    expect(events.map((event) => [event.operation, event.command])).toEqual([
      ['call', 'VECTOR.SEARCH'],
      ['batch', 'CRDT.COUNTER.GET'],
      ['send', 'PING'],
    ]);
    // Removed: commands run in the caller's context again.
    await ferrite.send('PING');
    expect(activeAtSend.at(-1)).toBeUndefined();
  });

  it('rejects a wrapper that is not a function', () => {
    expect(() => wrapCommandExecution('nope' as never)).toThrow(TypeError);
  });
});
