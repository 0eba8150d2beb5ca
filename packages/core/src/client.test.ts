import { describe, expect, it } from 'vitest';
import { createFerrite } from './client.js';
import { defineCommand, prepareCommand } from './command.js';
import { FerriteReplyError, FerriteUnsupportedError, FerriteValidationError } from './errors.js';
import { definePlugin } from './plugin.js';
import { readInteger, readText, type Reply } from './reply.js';
import type { BatchEntry, DedicatedTransport, Transport, WireCommand } from './transport.js';
import { assertName } from './validate.js';

/**
 * A scripted in-test server: composition is about wiring, which needs no network. Transports
 * themselves are tested against real servers by the conformance suite.
 */
function scriptedTransport(answer: (command: WireCommand) => Reply) {
  const sent: WireCommand[] = [];
  const events: string[] = [];
  const run = async (command: WireCommand): Promise<Reply> => {
    sent.push(command);
    const reply = answer(command);
    if (typeof reply === 'string' && reply.startsWith('ERR')) throw new FerriteReplyError(command.name, reply);
    return reply;
  };
  const transport: Transport = {
    name: 'scripted',
    protocol: 3,
    send: run,
    async batch(commands) {
      return Promise.all(
        commands.map((c) => run(c).then((value): BatchEntry => ({ ok: true, value }), (error): BatchEntry => ({ ok: false, error }))),
      );
    },
    async dedicated(): Promise<DedicatedTransport> {
      events.push('dedicated');
      const close = async () => void events.push('dedicated closed');
      return { ...transport, close, [Symbol.asyncDispose]: close };
    },
    async close() {
      events.push('transport closed');
    },
  };
  return { transport, sent, events };
}

const counterGet = defineCommand({
  name: 'CRDT.COUNTER.GET',
  readonly: true,
  encode: (key: string) => {
    assertName(key, 'key');
    return [key];
  },
  decode: (reply) => readInteger(reply),
});

const counterPlugin = (options: { label?: string } = {}) =>
  definePlugin({
    name: 'counter',
    setup: (ctx) => ({
      label: options.label ?? 'counter',
      get: (key: string) => ctx.call(counterGet, key),
      getMany: (keys: string[]) => ctx.batch(keys.map((key) => prepareCommand(counterGet, key))),
    }),
  });

describe('createFerrite', () => {
  it('gives each plugin its namespace over the shared transport', async () => {
    const { transport, sent } = scriptedTransport((c) => (c.name === 'CRDT.COUNTER.GET' ? 7 : 'PONG'));
    const ferrite = createFerrite({ transport, plugins: [counterPlugin({ label: 'hits' })] });
    expect(ferrite.counter.label).toBe('hits');
    expect(await ferrite.counter.get('visits')).toBe(7);
    expect(sent.at(-1)).toEqual({ name: 'CRDT.COUNTER.GET', args: ['visits'], routingKey: 'visits', binary: false, readonly: true });
    expect(await ferrite.send('PING')).toBe('PONG');
    expect(sent.at(-1)).toEqual({ name: 'PING', args: [] });
    await ferrite.sendBuffer('GET', 'k', 1n);
    expect(sent.at(-1)).toEqual({ name: 'GET', args: ['k', '1'], binary: true });
    expect(ferrite.transport).toBe(transport);
  });

  it('validates before sending anything', async () => {
    const { transport, sent } = scriptedTransport(() => 0);
    const ferrite = createFerrite({ transport, plugins: [counterPlugin()] });
    await expect(ferrite.counter.get('a\nb')).rejects.toBeInstanceOf(FerriteValidationError);
    expect(sent).toEqual([]);
  });

  it('turns "unknown command" into FerriteUnsupportedError with the server error as cause', async () => {
    const { transport } = scriptedTransport((c) => `ERR unknown command '${c.name}', with args beginning with: `);
    const ferrite = createFerrite({ transport, plugins: [counterPlugin()] });
    const error = await ferrite.counter.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteUnsupportedError);
    expect((error as FerriteUnsupportedError).message).toBe('this server does not support CRDT.COUNTER.GET');
    expect((error as Error).cause).toBeInstanceOf(FerriteReplyError);
  });

  it('settles batch entries one by one, decoding each', async () => {
    const { transport } = scriptedTransport((c) => (c.args[0] === 'bad' ? 'ERR boom' : c.args[0] === 'odd' ? 'x' : 3));
    const ferrite = createFerrite({ transport, plugins: [counterPlugin()] });
    const settled = await ferrite.counter.getMany(['a', 'bad', 'odd', 'b']);
    expect(settled.map((s) => s.ok)).toEqual([true, false, false, true]);
    expect(settled[0]).toEqual({ ok: true, value: 3 });
    const failed = settled[1];
    expect(failed && !failed.ok && failed.error.message).toBe('ERR boom');
    const undecodable = settled[2];
    expect(undecodable && !undecodable.ok && undecodable.error.code).toBe('PROTOCOL');
  });

  it('asks COMMAND INFO once per command for supports()', async () => {
    const { transport, sent } = scriptedTransport((c) => (c.args[1] === 'VECTOR.SEARCH' ? [['vector.search', -3]] : [null]));
    const ferrite = createFerrite({ transport });
    expect(await ferrite.supports('vector.search')).toBe(true);
    expect(await ferrite.supports('VECTOR.SEARCH')).toBe(true);
    expect(await ferrite.supports('CDC.POLL')).toBe(false);
    expect(sent.map((c) => c.args.join(' '))).toEqual(['INFO VECTOR.SEARCH', 'INFO CDC.POLL']);
    // An extended client shares what was learned.
    expect(await ferrite.extend(counterPlugin()).supports('VECTOR.SEARCH')).toBe(true);
    expect(sent).toHaveLength(2);
  });

  it('extends with one more plugin over the same transport', async () => {
    const { transport } = scriptedTransport(() => 1);
    const base = createFerrite({ transport });
    const extended = base.extend(counterPlugin());
    expect(await extended.counter.get('k')).toBe(1);
    expect('counter' in base).toBe(false);
  });

  it('rejects duplicate and reserved plugin names', () => {
    const { transport } = scriptedTransport(() => null);
    expect(() => createFerrite({ transport, plugins: [counterPlugin(), counterPlugin()] })).toThrow('two plugins are named "counter"');
    const send = definePlugin({ name: 'send', setup: () => ({}) });
    expect(() => createFerrite({ transport, plugins: [send] })).toThrow('a plugin cannot be named "send"');
  });

  it('runs plugin cleanups before closing the transport, once', async () => {
    const { transport, events } = scriptedTransport(() => null);
    const closing = definePlugin({
      name: 'closing',
      setup: (ctx) => {
        ctx.onClose(async () => void events.push('plugin cleanup'));
        return {};
      },
    });
    const ferrite = createFerrite({ transport, plugins: [closing] });
    await Promise.all([ferrite.close(), ferrite.close()]);
    await ferrite[Symbol.asyncDispose]();
    expect(events).toEqual(['plugin cleanup', 'transport closed']);
  });

  it('closes the transport even when a cleanup fails, then reports the failure', async () => {
    const { transport, events } = scriptedTransport(() => null);
    const failing = definePlugin({
      name: 'failing',
      setup: (ctx) => {
        ctx.onClose(() => {
          throw new Error('cleanup failed');
        });
        return {};
      },
    });
    await expect(createFerrite({ transport, plugins: [failing] }).close()).rejects.toThrow('cleanup failed');
    expect(events).toEqual(['transport closed']);
  });

  it('gives plugins dedicated contexts that close their connection', async () => {
    const { transport, events } = scriptedTransport(() => 5);
    const blocking = definePlugin({
      name: 'blocking',
      setup: (ctx) => ({
        async once() {
          await using dedicated = await ctx.dedicated();
          return dedicated.call(counterGet, 'k');
        },
      }),
    });
    const ferrite = createFerrite({ transport, plugins: [blocking] });
    expect(await ferrite.blocking.once()).toBe(5);
    expect(events).toEqual(['dedicated', 'dedicated closed']);
  });

  it('decodes with the text helpers', async () => {
    const echo = defineCommand({ name: 'ECHO', keyIndex: null, encode: (text: string) => [text], decode: readText });
    const { transport } = scriptedTransport((c) => Buffer.from(String(c.args[0])));
    const plugin = definePlugin({ name: 'echo', setup: (ctx) => (text: string) => ctx.call(echo, text) });
    const ferrite = createFerrite({ transport, plugins: [plugin] });
    expect(await ferrite.echo('hé')).toBe('hé');
  });
});
