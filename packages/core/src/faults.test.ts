import { describe, expect, it } from 'vitest';
import { createFerrite } from './client.js';
import { defineCommand, prepareCommand } from './command.js';
import {
  FerriteAbortError,
  FerriteConnectionError,
  FerriteProtocolError,
  FerriteReplyError,
  FerriteTimeoutError,
  FerriteUnsupportedError,
  FerriteValidationError,
  isConnectionError,
  isMaybeApplied,
} from './errors.js';
import { definePlugin, type PluginContext } from './plugin.js';
import { readInteger, type Reply } from './reply.js';
import type { BatchEntry, DedicatedTransport, Transport, TransportSendOptions, WireCommand } from './transport.js';

/**
 * A transport whose every call is answered by `script`, which may reply, fail, or never answer.
 * Faults of real sockets are tested by the fault suite of each transport; this one pins down what
 * core does with the outcomes (deadline, retries, cancellation, lifecycle) exactly.
 */
function scripted(script: (command: WireCommand, attempt: number, options?: TransportSendOptions) => Promise<Reply>) {
  const sent: WireCommand[] = [];
  const counts = new Map<string, number>();
  let closes = 0;
  let closeHangs = false;
  const send = (command: WireCommand, options?: TransportSendOptions): Promise<Reply> => {
    sent.push(command);
    const key = [command.name, ...command.args].join(' ');
    const attempt = (counts.get(key) ?? 0) + 1;
    counts.set(key, attempt);
    return script(command, attempt, options);
  };
  const transport: Transport = {
    name: 'scripted',
    protocol: 3,
    send,
    async batch(commands, options) {
      return Promise.all(
        commands.map((c) => send(c, options).then((value): BatchEntry => ({ ok: true, value }), (error): BatchEntry => ({ ok: false, error }))),
      );
    },
    async dedicated(): Promise<DedicatedTransport> {
      const close = async () => {};
      return { ...transport, close, [Symbol.asyncDispose]: close };
    },
    close() {
      closes++;
      return closeHangs ? new Promise<void>(() => {}) : Promise.resolve();
    },
  };
  return {
    transport,
    sent,
    get closes() {
      return closes;
    },
    hangOnClose() {
      closeHangs = true;
    },
  };
}

const never = (): Promise<Reply> => new Promise<Reply>(() => {});
const after = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));
const lost = (maybeApplied = true) => Promise.reject(new FerriteConnectionError('connection reset', { maybeApplied }));

/** Rejects with maybeApplied false when the signal fires, as a driver dropping a queued command. */
function queuedUntilAborted(options?: TransportSendOptions): Promise<Reply> {
  return new Promise<Reply>((_, reject) => {
    options?.signal?.addEventListener('abort', () => reject(new FerriteConnectionError('dropped from the queue', { maybeApplied: false })));
  });
}

const incr = defineCommand({ name: 'INCR', encode: (key: string) => [key], decode: (r) => readInteger(r) });
const get = defineCommand({ name: 'GET', retryable: true, readonly: true, encode: (key: string) => [key], decode: (r) => r });

async function timed<T>(work: Promise<T>): Promise<{ ms: number; error: unknown; value?: T }> {
  const started = performance.now();
  try {
    const value = await work;
    return { ms: performance.now() - started, error: undefined, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('deadline', () => {
  it('rejects a call with no reply with FerriteTimeoutError at the deadline, maybeApplied true', async () => {
    const { transport } = scripted(never);
    const ferrite = createFerrite({ transport, timeout: 100 });
    const { ms, error } = await timed(ferrite.send('GET', 'k'));
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(error).toMatchObject({ maybeApplied: true, timeoutMs: 100, command: 'GET' });
    // Timers start from the event loop's cached clock, so a busy loop can make them look early.
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(ms).toBeLessThan(1000);
  });

  it('says maybeApplied false when the transport took the unwritten command back', async () => {
    const { transport } = scripted((_, __, options) => queuedUntilAborted(options));
    const ferrite = createFerrite({ transport, timeout: 50 });
    await expect(ferrite.send('INCR', 'k')).rejects.toMatchObject({ name: 'FerriteTimeoutError', maybeApplied: false });
  });

  it('defaults to 10 s, and Infinity disables it', () => {
    const { transport } = scripted(never);
    const seen: number[] = [];
    const probe = definePlugin({ name: 'probe', setup: (ctx: PluginContext) => ({ timeout: () => seen.push(ctx.callOptions().timeout) }) });
    createFerrite({ transport, plugins: [probe] }).probe.timeout();
    createFerrite({ transport, plugins: [probe], timeout: Infinity }).probe.timeout();
    expect(seen).toEqual([10_000, Infinity]);
  });

  it("adds a standard blocking command's own wait to the deadline (0: none), and no value ever does", async () => {
    const { transport } = scripted(() => after(250, 'late'));
    const ferrite = createFerrite({ transport, timeout: 100 });
    await expect(ferrite.send('XREAD', 'BLOCK', 200, 'STREAMS', 's', '$')).resolves.toBe('late');
    await expect(ferrite.send('BLPOP', 'list', '0')).resolves.toBe('late');
    // Values that read like a BLOCK option change nothing, nor does a command send knows nothing of.
    await expect(ferrite.send('SET', 'block', '0')).rejects.toBeInstanceOf(FerriteTimeoutError);
    await expect(ferrite.send('HSET', 'h', 'Block', '5000')).rejects.toMatchObject({ name: 'FerriteTimeoutError', timeoutMs: 100 });
    await expect(ferrite.send('CDC.POLL', 'sub', 'BLOCK', '0')).rejects.toBeInstanceOf(FerriteTimeoutError);
    await expect(ferrite.send('GET', 'k')).rejects.toBeInstanceOf(FerriteTimeoutError);
  });

  it("takes a plugin command's blocking time from its definition's blockingMs", async () => {
    const { transport } = scripted(() => after(250, 'late'));
    const poll = defineCommand({
      name: 'X.POLL',
      keyIndex: null,
      encode: (waitMs: number, value: string) => ['BLOCK', waitMs, value],
      blockingMs: ([waitMs]) => waitMs,
      decode: (reply) => reply,
    });
    const plugin = definePlugin({ name: 'poller', setup: (ctx) => ({ poll: (waitMs: number, value: string) => ctx.call(poll, waitMs, value) }) });
    const ferrite = createFerrite({ transport, timeout: 100, plugins: [plugin] });
    await expect(ferrite.poller.poll(300, 'BLOCK')).resolves.toBe('late');
    await expect(ferrite.poller.poll(0, 'x')).rejects.toMatchObject({ name: 'FerriteTimeoutError', timeoutMs: 100 });
  });

  it('rejects bad options synchronously where the API is synchronous', () => {
    const { transport } = scripted(never);
    expect(() => createFerrite({ transport, timeout: 0 })).toThrow(FerriteValidationError);
    expect(() => createFerrite({ transport, timeout: Number.NaN })).toThrow(FerriteValidationError);
    expect(() => createFerrite({ transport, maxAttempts: 0 })).toThrow(FerriteValidationError);
    expect(() => createFerrite({ transport }).withOptions({ timeout: -1 })).toThrow(FerriteValidationError);
  });
});

describe('retry policy', () => {
  it('retries a retryable command after connection failures, whatever maybeApplied says', async () => {
    const script = scripted((_, attempt) => (attempt === 1 ? lost(true) : attempt === 2 ? lost(false) : Promise.resolve('v')));
    const plugin = definePlugin({ name: 'kv', setup: (ctx) => ({ get: (key: string) => ctx.call(get, key) }) });
    const ferrite = createFerrite({ transport: script.transport, plugins: [plugin] });
    await expect(ferrite.kv.get('k')).resolves.toBe('v');
    expect(script.sent.map((c) => c.name)).toEqual(['GET', 'GET', 'GET']);
  });

  it('never sends a non-retryable command twice', async () => {
    const script = scripted(() => lost(true));
    const plugin = definePlugin({ name: 'kv', setup: (ctx) => ({ incr: (key: string) => ctx.call(incr, key) }) });
    const ferrite = createFerrite({ transport: script.transport, plugins: [plugin], maxAttempts: 5 });
    await expect(ferrite.kv.incr('k')).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: true });
    expect(script.sent).toHaveLength(1);
  });

  it('never retries send, even for a read', async () => {
    const script = scripted(() => lost(false));
    const ferrite = createFerrite({ transport: script.transport, maxAttempts: 5 });
    await expect(ferrite.send('GET', 'k')).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: false });
    expect(script.sent).toHaveLength(1);
  });

  it('stops at maxAttempts with the last connection error, maybeApplied true if any attempt may have run', async () => {
    const script = scripted((_, attempt) => lost(attempt === 1));
    const plugin = definePlugin({ name: 'kv', setup: (ctx) => ({ get: (key: string) => ctx.call(get, key) }) });
    const ferrite = createFerrite({ transport: script.transport, plugins: [plugin], maxAttempts: 2 });
    await expect(ferrite.kv.get('k')).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: true });
    expect(script.sent).toHaveLength(2);
  });

  it('does not retry a reply error', async () => {
    const script = scripted(() => Promise.reject(new FerriteReplyError('GET', 'WRONGTYPE Operation against a key holding the wrong kind of value')));
    const plugin = definePlugin({ name: 'kv', setup: (ctx) => ({ get: (key: string) => ctx.call(get, key) }) });
    const ferrite = createFerrite({ transport: script.transport, plugins: [plugin] });
    await expect(ferrite.kv.get('k')).rejects.toBeInstanceOf(FerriteReplyError);
    expect(script.sent).toHaveLength(1);
  });

  it('keeps retries within the deadline', async () => {
    const script = scripted(() => after(40, null).then(() => lost(true)));
    const plugin = definePlugin({ name: 'kv', setup: (ctx) => ({ get: (key: string) => ctx.call(get, key) }) });
    const ferrite = createFerrite({ transport: script.transport, plugins: [plugin], maxAttempts: 1000, timeout: 300 });
    const { ms, error } = await timed(ferrite.kv.get('k'));
    expect(error).toMatchObject({ maybeApplied: true });
    expect(['FerriteConnectionError', 'FerriteTimeoutError']).toContain((error as Error).name);
    expect(ms).toBeLessThan(600);
    expect(script.sent.length).toBeGreaterThan(1);
  });

  it('in a batch, sends again only the retryable entries whose connection failed', async () => {
    const script = scripted((command, attempt) => (attempt === 1 ? lost(true) : Promise.resolve(command.name === 'GET' ? 'v' : 1)));
    const plugin = definePlugin({
      name: 'kv',
      setup: (ctx) => ({ both: () => ctx.batch<unknown>([prepareCommand(get, 'a'), prepareCommand(incr, 'b')]) }),
    });
    const ferrite = createFerrite({ transport: script.transport, plugins: [plugin] });
    const [read, write] = await ferrite.kv.both();
    expect(read).toEqual({ ok: true, value: 'v' });
    expect(write).toMatchObject({ ok: false, error: { name: 'FerriteConnectionError', maybeApplied: true } });
    expect(script.sent.map((c) => c.name)).toEqual(['GET', 'INCR', 'GET']);
  });

  it('in a batch whose connection failed as a whole, sends again only the retryable entries', async () => {
    const script = scripted((command) => Promise.resolve(command.name === 'GET' ? 'v' : 1));
    let pipelines = 0;
    const transport: Transport = {
      ...script.transport,
      // A transport may reject the whole pipeline rather than each entry.
      batch: (commands, options) => (++pipelines === 1 ? lost(true) : script.transport.batch(commands, options)) as Promise<BatchEntry[]>,
    };
    const plugin = definePlugin({
      name: 'kv',
      setup: (ctx) => ({ both: () => ctx.batch<unknown>([prepareCommand(get, 'a'), prepareCommand(incr, 'b')]) }),
    });
    const ferrite = createFerrite({ transport, plugins: [plugin] });
    const [read, write] = await ferrite.kv.both();
    expect(read).toEqual({ ok: true, value: 'v' });
    expect(write).toMatchObject({ ok: false, error: { name: 'FerriteConnectionError', maybeApplied: true } });
    expect(pipelines).toBe(2);
    expect(script.sent.map((c) => c.name)).toEqual(['GET']);
  });
});

describe('cancellation', () => {
  it('rejects at once with maybeApplied false when the signal is already aborted, sending nothing', async () => {
    const script = scripted(() => Promise.resolve('OK'));
    const ferrite = createFerrite({ transport: script.transport });
    const controller = new AbortController();
    controller.abort();
    await expect(ferrite.withOptions({ signal: controller.signal }).send('SET', 'k', 'v')).rejects.toMatchObject({
      name: 'FerriteAbortError',
      maybeApplied: false,
    });
    expect(script.sent).toHaveLength(0);
  });

  it('rejects at once when aborted after the command was written, maybeApplied true', async () => {
    const script = scripted(never);
    const ferrite = createFerrite({ transport: script.transport, timeout: Infinity });
    const controller = new AbortController();
    const call = ferrite.withOptions({ signal: controller.signal }).send('INCR', 'k');
    setTimeout(() => controller.abort(new Error('user left')), 20);
    const { ms, error } = await timed(call);
    expect(error).toBeInstanceOf(FerriteAbortError);
    expect(error).toMatchObject({ maybeApplied: true, cause: new Error('user left') });
    expect(ms).toBeLessThan(500);
  });
});

class Subscription {
  readonly #ctx: PluginContext;
  readonly #key: string;
  constructor(ctx: PluginContext, key: string) {
    this.#ctx = ctx;
    this.#key = key;
  }
  get key(): string {
    return this.#key;
  }
  options() {
    return this.#ctx.callOptions();
  }
  poll(): Promise<Reply> {
    return this.#ctx.send('GET', this.#key);
  }
  async *events(): AsyncGenerator<number> {
    for (let i = 0; i < 2; i++) yield this.#ctx.callOptions().timeout;
  }
}

const handles = definePlugin({
  name: 'handles',
  setup: (ctx: PluginContext) =>
    Object.freeze({
      timeout: () => ctx.callOptions().timeout,
      subscribe: (key: string) => new Subscription(ctx, key),
      open: async (key: string) => new Subscription(ctx, key),
      get: (key: string) => ctx.send('GET', key),
      record: () => ({ a: 1, nested: [1, 2] }),
      bytes: () => Buffer.from('xy'),
      pollFor: (timeout: number) => ctx.withOptions({ timeout }).send('GET', 'k'),
    }),
});

describe('withOptions', () => {
  it('runs plugin methods, and handles and iterators they return, with the view options', async () => {
    const script = scripted(() => Promise.resolve('v'));
    const ferrite = createFerrite({ transport: script.transport, plugins: [handles], timeout: 5000 });
    const view = ferrite.withOptions({ timeout: 123 });
    expect(ferrite.handles.timeout()).toBe(5000);
    expect(view.handles.timeout()).toBe(123);
    const subscription = view.handles.subscribe('k');
    expect(subscription.key).toBe('k');
    expect(subscription).toBeInstanceOf(Subscription);
    expect(subscription.options().timeout).toBe(123);
    expect((await view.handles.open('k')).options().timeout).toBe(123);
    const seen: number[] = [];
    for await (const timeout of subscription.events()) seen.push(timeout);
    expect(seen).toEqual([123, 123]);
    await expect(subscription.poll()).resolves.toBe('v');
    // Plain data comes back untouched (structuredClone fails on proxies).
    expect(structuredClone(view.handles.record())).toEqual({ a: 1, nested: [1, 2] });
    expect(Buffer.concat([view.handles.bytes()]).toString()).toBe('xy');
  });

  it('applies the view deadline to plugin calls', async () => {
    const script = scripted(() => after(200, 'late'));
    const ferrite = createFerrite({ transport: script.transport, plugins: [handles] });
    await expect(ferrite.withOptions({ timeout: 50 }).handles.get('k')).rejects.toMatchObject({ name: 'FerriteTimeoutError', timeoutMs: 50 });
    await expect(ferrite.handles.get('k')).resolves.toBe('late');
  });

  it('composes: the innermost timeout wins and every signal aborts', async () => {
    const script = scripted(never);
    const ferrite = createFerrite({ transport: script.transport, plugins: [handles] });
    const outer = new AbortController();
    const inner = new AbortController();
    const view = ferrite.withOptions({ timeout: 1000, signal: outer.signal }).withOptions({ timeout: 2000, signal: inner.signal });
    expect(view.handles.timeout()).toBe(2000);
    const call = view.handles.get('k');
    outer.abort();
    await expect(call).rejects.toBeInstanceOf(FerriteAbortError);
  });

  it("asks COMMAND INFO for supports() with the client's options: a view's abort only stops that view's wait", async () => {
    let answer: (reply: Reply) => void = () => {};
    const script = scripted((command) => (command.name === 'COMMAND' ? new Promise<Reply>((resolve) => (answer = resolve)) : Promise.resolve('OK')));
    const ferrite = createFerrite({ transport: script.transport });
    const controller = new AbortController();
    const viaView = ferrite.withOptions({ signal: controller.signal }).supports('VECTOR.SEARCH');
    const viaClient = ferrite.supports('VECTOR.SEARCH');
    controller.abort();
    await expect(viaView).rejects.toBeInstanceOf(FerriteAbortError);
    answer([['vector.search']]);
    await expect(viaClient).resolves.toBe(true);
    expect(script.sent.filter((command) => command.name === 'COMMAND')).toHaveLength(1);
  });

  it('lets a plugin give one call options of its own', async () => {
    const script = scripted(() => after(150, 'v'));
    const ferrite = createFerrite({ transport: script.transport, plugins: [handles], timeout: 50 });
    await expect(ferrite.handles.pollFor(1000)).resolves.toBe('v');
  });

  it('shares plugin state and the transport with the client, and builds a view\'s namespace on first access', () => {
    const script = scripted(never);
    let states = 0;
    let setups = 0;
    const counting = definePlugin({
      name: 'counting',
      state: () => ({ id: ++states }),
      setup: (ctx, shared) => ({ id: shared.id, setup: ++setups, timeout: ctx.callOptions().timeout }),
    });
    const ferrite = createFerrite({ transport: script.transport, plugins: [counting] });
    expect(setups).toBe(1);
    const view = ferrite.withOptions({ timeout: 10 });
    expect(setups).toBe(1);
    expect(view.transport).toBe(ferrite.transport);
    expect(view.counting).toMatchObject({ id: 1, setup: 2, timeout: 10 });
    expect(view.counting).toBe(view.counting);
    expect(view.withOptions({}).extend(handles).counting).toMatchObject({ id: 1, timeout: 10 });
    expect(ferrite.counting).toMatchObject({ id: 1, setup: 1, timeout: 10_000 });
    expect(states).toBe(1);
  });
});

describe('errors a transport throws', () => {
  it('turns an exception that is not a Ferrite error into FerriteProtocolError: a defect, never retried, maybe applied', async () => {
    const { transport, sent } = scripted(() => Promise.reject(new TypeError('cannot read properties of undefined')));
    const plugin = definePlugin({ name: 'kv', setup: (ctx) => ({ get: (key: string) => ctx.call(get, key) }) });
    const ferrite = createFerrite({ transport, plugins: [plugin], maxAttempts: 5 });
    const error = await ferrite.kv.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerriteProtocolError);
    expect(isConnectionError(error)).toBe(false);
    expect(isMaybeApplied(error)).toBe(true);
    expect(sent).toHaveLength(1);
    const sync = scripted(() => {
      throw new RangeError('thrown, not rejected');
    });
    await expect(createFerrite({ transport: sync.transport }).send('PING')).rejects.toMatchObject({ name: 'FerriteProtocolError', maybeApplied: true });
  });

  it('says through isMaybeApplied whether a failed call may have run, and nothing for errors that do not say', async () => {
    const { transport } = scripted(never);
    const ferrite = createFerrite({ transport, timeout: 30 });
    expect(isMaybeApplied(await ferrite.send('INCR', 'k').catch((e: unknown) => e))).toBe(true);
    expect(isMaybeApplied(await ferrite.withOptions({ signal: AbortSignal.abort() }).send('INCR', 'k').catch((e: unknown) => e))).toBe(false);
    expect(isMaybeApplied(new FerriteReplyError('GET', 'ERR x'))).toBeUndefined();
    expect(isMaybeApplied(new FerriteValidationError('key', 'bad'))).toBeUndefined();
    expect(isMaybeApplied(new Error('not ours'))).toBeUndefined();
  });
});

describe('bad arguments', () => {
  it('reject with FerriteValidationError, never throw', async () => {
    const { transport, sent } = scripted(() => Promise.resolve('OK'));
    const ferrite = createFerrite({ transport });
    const calls: Array<() => Promise<unknown>> = [
      () => ferrite.send(undefined as unknown as string),
      () => ferrite.send(42 as unknown as string),
      () => ferrite.send(''),
      () => ferrite.send('SET', 'k', Number.NaN),
      () => ferrite.send('SET', 'k', Infinity),
      () => ferrite.send('SET', 'k', undefined as unknown as string),
      () => ferrite.send('SET', 'k', null as unknown as string),
      () => ferrite.sendBuffer('SET', 'k', {} as unknown as string),
      () => ferrite.supports(undefined as unknown as string),
    ];
    for (const call of calls) {
      let result: Promise<unknown> | undefined;
      expect(() => (result = call())).not.toThrow();
      await expect(result).rejects.toBeInstanceOf(FerriteValidationError);
    }
    expect(sent).toHaveLength(0);
  });

  it('quote at most 200 characters of a value', async () => {
    const { transport } = scripted(() => Promise.resolve('OK'));
    const ferrite = createFerrite({ transport });
    const huge = 'x'.repeat(1_000_000);
    const error = await ferrite.send(huge, Number.NaN).catch((e: Error) => e);
    expect(error).toBeInstanceOf(FerriteValidationError);
    expect((error as Error).message.length).toBeLessThan(600);
    expect(new FerriteUnsupportedError(huge).message.length).toBeLessThan(300);
    expect(new FerriteTimeoutError(huge, 5).message.length).toBeLessThan(300);
  });

  it('the server echo of arguments is stripped from reply errors', () => {
    const error = new FerriteReplyError('FOO', "ERR unknown command 'FOO', with args beginning with: 'secret-token' 'x' ");
    expect(error.message).toBe("ERR unknown command 'FOO'");
    expect(error.serverMessage).not.toContain('secret');
    expect(error.kind).toBe('unknown-command');
  });
});

describe('extend and close', () => {
  it('shares plugin state and one lifecycle across the family', async () => {
    const script = scripted(() => Promise.resolve('v'));
    const cleanups: string[] = [];
    let states = 0;
    const counting = definePlugin({
      name: 'counting',
      state: (ctx) => {
        states++;
        ctx.onClose(() => void cleanups.push('counting'));
        return { id: states };
      },
      setup: (_, shared) => ({ id: shared.id }),
    });
    const root = createFerrite({ transport: script.transport, plugins: [counting] });
    const extended = root.extend(handles);
    const again = extended.extend(definePlugin({ name: 'third', state: (ctx) => ctx.onClose(() => void cleanups.push('third')), setup: () => ({}) }));
    expect([root.counting.id, extended.counting.id, again.counting.id]).toEqual([1, 1, 1]);
    expect(states).toBe(1);
    await extended.close();
    await root.close();
    await again.close();
    expect(cleanups).toEqual(['third', 'counting']);
    expect(script.closes).toBe(1);
    await expect(root.send('GET', 'k')).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: false });
    await expect(again.handles.get('k')).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('settles within a second when cleanups and the transport hang, and rejects pending calls', async () => {
    const script = scripted(never);
    script.hangOnClose();
    const stuck = definePlugin({ name: 'stuck', setup: (ctx) => (ctx.onClose(() => new Promise<void>(() => {})), {}) });
    const ferrite = createFerrite({ transport: script.transport, plugins: [stuck], timeout: Infinity });
    const pending = ferrite.send('GET', 'k');
    const { ms } = await timed(ferrite.close());
    expect(ms).toBeLessThan(1000);
    await expect(pending).rejects.toMatchObject({ name: 'FerriteConnectionError', maybeApplied: true });
  });
});
