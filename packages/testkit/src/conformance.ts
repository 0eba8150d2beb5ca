import { inspect } from 'node:util';
import {
  createFerrite,
  definePlugin,
  FerriteConnectionError,
  FerriteInexactReplyError,
  FerriteReplyError,
  isConnectionError,
  isReplyError,
  readMap,
  type Reply,
  type Transport,
  type WireCommand,
} from '@ferrite/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface ConformanceTarget {
  readonly transport: Transport;
  /** Releases what setup opened (server, driver client). Runs after the suite closed the transport. */
  teardown(): Promise<void>;
  /**
   * Starts a call on `dedicated` that holds the connection until released, and says what releases
   * it when sent on another connection. Default: `BLPOP <key> 0`, released by `LPUSH <key> x`; a
   * server without BLPOP supplies another (the emulator: a blocking `CDC.POLL`, released by a write).
   */
  readonly holdConnection?: (dedicated: Transport, key: string) => Promise<HeldConnection>;
}

/** A call holding a connection, and the command that releases it. */
export interface HeldConnection {
  readonly reply: Promise<Reply>;
  readonly release: WireCommand;
}

export interface ConformanceOptions {
  /** The protocol version the target was asked for; the transport must report it. */
  readonly protocol: 2 | 3;
  /** Skip the suite with this reason (a missing redis-server); see `redisServerMissing`. */
  readonly skip?: string | null;
  /**
   * The target is a Redis Cluster of this many primaries. Cases that need a single node (SELECT,
   * a dedicated connection without a key) run their cluster equivalents instead.
   */
  readonly cluster?: {
    readonly primaries: number;
    /**
     * Whether the case that reshards a slot mid-run with `CLUSTER SETSLOT` and `MIGRATE` can run.
     * Default true; false for a server without them (the emulator moves slots with `moveSlot`,
     * covered by the plugin suites' slot-move cases instead).
     */
    readonly setslotMigrate?: boolean;
  };
  /**
   * The server is a real redis-server (7+): the reply table also covers what only its Lua
   * scripts can produce (RESP3 big numbers, nested maps, errors nested in arrays).
   */
  readonly redisServer?: boolean;
  /**
   * Whether the driver reads integers beyond ±(2^53 − 1) exactly. Default true: they come back as
   * `bigint`. `false` for a driver that decodes every integer into a `number` (Valkey GLIDE): the
   * call must then reject with a `FerriteInexactReplyError`, never give a rounded number.
   */
  readonly exactIntegers?: boolean;
}

/** One row of the reply table: a command whose raw reply each transport must hand over as `expected`. */
interface ReplyCase {
  readonly name: string;
  /** Commands run first (on the same slot). */
  readonly setup?: ReadonlyArray<readonly string[]>;
  readonly command: readonly string[];
  /** The `Reply` per protocol, or the server error text the call must reject with. */
  readonly expected: { readonly 2: Reply; readonly 3: Reply } | { readonly rejects: RegExp };
  readonly binary?: boolean;
  /** Needs a redis-server's Lua (`redis.setresp(3)` and RESP3 return types). */
  readonly lua?: boolean;
}

const same = (reply: Reply) => ({ 2: reply, 3: reply }) as const;
const lua = (body: string) => ['EVAL', `redis.setresp(3); ${body}`, '0'];

/** Raw replies at the edges, with the one `Reply` every transport must produce for each (`k` is the row's key). */
function replyTable(k: (name: string) => string): ReplyCase[] {
  return [
    { name: 'int64 max', setup: [['SET', k('max'), '9223372036854775806']], command: ['INCR', k('max')], expected: same(9223372036854775807n) },
    { name: 'int64 min', setup: [['SET', k('min'), '-9223372036854775807']], command: ['DECR', k('min')], expected: same(-9223372036854775808n) },
    { name: 'int64 overflow is an error', setup: [['SET', k('over'), '9223372036854775807']], command: ['INCR', k('over')], expected: { rejects: /overflow/ } },
    { name: '2^53 + 1 stays exact', setup: [['SET', k('p53'), '9007199254740992']], command: ['INCR', k('p53')], expected: same(9007199254740993n) },
    { name: '2^53 - 1 is a number', setup: [['SET', k('s53'), '9007199254740990']], command: ['INCR', k('s53')], expected: same(9007199254740991) },
    { name: '-(2^53 - 1) is a number', setup: [['SET', k('n53'), '-9007199254740990']], command: ['DECR', k('n53')], expected: same(-9007199254740991) },
    { name: 'a whole double stays text', setup: [['ZADD', k('z'), '3', 'a']], command: ['ZSCORE', k('z'), 'a'], expected: same('3') },
    { name: 'double inf', setup: [['ZADD', k('zi'), 'inf', 'a']], command: ['ZSCORE', k('zi'), 'a'], expected: same('inf') },
    { name: 'double -inf', setup: [['ZADD', k('zn'), '-inf', 'a']], command: ['ZSCORE', k('zn'), 'a'], expected: same('-inf') },
    { name: 'a fractional double', setup: [['ZADD', k('zf'), '0.1', 'a']], command: ['ZINCRBY', k('zf'), '0.2', 'a'], expected: same('0.30000000000000004') },
    { name: 'nulls in an array', setup: [['SET', k('m1'), 'x']], command: ['MGET', k('m1'), k('none'), k('m1')], expected: same(['x', null, 'x']) },
    { name: 'an empty array', command: ['LRANGE', k('empty'), '0', '-1'], expected: same([]) },
    { name: 'a null bulk string', command: ['GET', k('absent')], expected: same(null) },
    { name: 'a set', setup: [['SADD', k('set'), 'only']], command: ['SMEMBERS', k('set')], expected: same(['only']) },
    { name: 'a map', setup: [['HSET', k('h'), 'f', '1']], command: ['HGETALL', k('h')], expected: { 2: ['f', '1'], 3: new Map([['f', '1']]) } },
    { name: 'an empty map', command: ['HGETALL', k('nohash')], expected: { 2: [], 3: new Map() } },
    { name: 'binary strings nested', setup: [['DEL', k('bl')], ['RPUSH', k('bl'), 'a']], command: ['LRANGE', k('bl'), '0', '-1'], binary: true, expected: same([Buffer.from('a')]) },
    { name: 'RESP3 big number, as its text', lua: true, command: lua("return {big_number='123456789012345678901234567890'}"), expected: same('123456789012345678901234567890') },
    { name: 'RESP3 double from a script', lua: true, command: lua('return {double=1.5}'), expected: same('1.5') },
    { name: 'RESP3 double inf from a script', lua: true, command: lua('return {double=1/0}'), expected: same('inf') },
    // Redis writes 0/0 as `-nan` (glibc's text), as a bulk string in RESP2: RESP3's double reads as 'nan'.
    { name: 'RESP3 double nan from a script', lua: true, command: lua('return {double=0/0}'), expected: { 2: '-nan', 3: 'nan' } },
    { name: 'RESP3 boolean false in an array, as 0', lua: true, command: lua('return {1, false, 3}'), expected: same([1, 0, 3]) },
    { name: 'RESP3 boolean true (RESP2: 1)', lua: true, command: lua('return true'), expected: same(1) },
    {
      name: 'nested maps and sets',
      lua: true,
      command: lua("return {map={outer={map={inner={set={x=true}}}}}}"),
      expected: { 2: ['outer', ['inner', ['x']]], 3: new Map([['outer', new Map([['inner', ['x']]])]]) },
    },
    { name: 'a verbatim string, without its format', lua: true, command: lua("return {verbatim_string={format='txt', string='hi there'}}"), expected: same('hi there') },
    { name: 'an error nested in an array rejects the call', lua: true, command: lua("return {1, {err='ERR inner failure'}, 3}"), expected: { rejects: /^ERR inner failure$/ } },
  ];
}

const cmd = (name: string, ...args: Array<string | Buffer>): WireCommand => ({ name, args });

/**
 * The transport conformance suite. Every transport (memory, ioredis, node-redis) runs it in RESP2
 * and RESP3; a transport is done when all of it passes. Keys are prefixed per suite so targets can
 * share a server.
 */
export function describeTransportConformance(
  label: string,
  setup: () => Promise<ConformanceTarget>,
  options: ConformanceOptions,
): void {
  describe.skipIf(Boolean(options.skip))(`transport conformance: ${label}`, () => {
    let target: ConformanceTarget;
    let transport: Transport;
    const prefix = `conformance:${label.replace(/\s+/g, '-')}:${process.pid}:`;
    const key = (name: string) => `{${prefix}}${name}`;
    const send = (name: string, ...args: Array<string | Buffer>) => transport.send(cmd(name, ...args));
    const exact = options.exactIntegers !== false;
    /** A reply beyond ±(2^53 − 1): exact as a bigint, or refused by a driver that cannot read it exactly. */
    const expectBig = async (reply: Promise<Reply>, expected: bigint): Promise<void> => {
      if (exact) expect(await reply).toBe(expected);
      else await expect(reply).rejects.toBeInstanceOf(FerriteInexactReplyError);
    };
    // On a cluster a dedicated connection goes to the node of a key; every key here shares one slot.
    const dedicatedOptions = options.cluster ? { routingKey: key('dedicated') } : undefined;

    beforeAll(async () => {
      target = await setup();
      transport = target.transport;
    });
    afterAll(async () => {
      await transport?.close();
      await target?.teardown();
    });

    it('reports the protocol version it speaks', () => {
      expect(transport.protocol).toBe(options.protocol);
      expect(transport.name).toMatch(/\S/);
    });

    it('runs standard commands through send', async () => {
      expect(await send('PING')).toBe('PONG');
      expect(await send('SET', key('greeting'), 'hello')).toBe('OK');
      expect(await send('GET', key('greeting'))).toBe('hello');
      expect(await send('GET', key('missing'))).toBeNull();
      expect(await send('INCR', key('counter'))).toBe(1);
      expect(await send('RPUSH', key('list'), 'a', 'b', 'c')).toBe(3);
      expect(await send('LRANGE', key('list'), '0', '-1')).toEqual(['a', 'b', 'c']);
      expect(await send('LRANGE', key('nothing'), '0', '-1')).toEqual([]);
      expect(await send('DEL', key('greeting'), key('counter'), key('list'))).toBe(3);
    });

    it('keeps text as UTF-8 strings', async () => {
      const text = 'héllo wörld ✓ 日本 🚀';
      await send('SET', key('unicode'), text);
      expect(await send('GET', key('unicode'))).toBe(text);
    });

    it('round-trips a value holding all 256 byte values, as a Buffer when asked for binary', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const doubled = Buffer.concat([bytes, bytes.reverse()]);
      expect(await send('SET', key('bytes'), doubled)).toBe('OK');
      const reply = await transport.send({ name: 'GET', args: [key('bytes')], binary: true });
      expect(Buffer.isBuffer(reply)).toBe(true);
      expect((reply as Buffer).equals(doubled)).toBe(true);
      // Binary keys and fields too.
      const binaryKey = Buffer.concat([Buffer.from(key('')), Buffer.from([0, 13, 10, 255])]);
      await transport.send({ name: 'HSET', args: [binaryKey, Buffer.from([0xff, 0x00]), doubled], routingKey: binaryKey });
      const field = await transport.send({ name: 'HGET', args: [binaryKey, Buffer.from([0xff, 0x00])], routingKey: binaryKey, binary: true });
      expect((field as Buffer).equals(doubled)).toBe(true);
    });

    it('gives every string as a Buffer in binary mode, nested ones included', async () => {
      await send('RPUSH', key('blist'), 'x', 'y');
      const reply = await transport.send({ name: 'LRANGE', args: [key('blist'), '0', '-1'], binary: true });
      expect(reply).toEqual([Buffer.from('x'), Buffer.from('y')]);
    });

    it('returns nested arrays with nulls and integers', async () => {
      const reply = (await send('COMMAND', 'INFO', 'GET', 'NO-SUCH-COMMAND-XYZ')) as Reply[];
      expect(reply).toHaveLength(2);
      expect(reply[1]).toBeNull();
      const get = reply[0] as Reply[];
      expect(get[0]).toBe('get');
      expect(get[1]).toBe(2);
      expect(Array.isArray(get[2])).toBe(true);
      expect(get.slice(3, 6)).toEqual([1, 1, 1]);
    });

    it(exact ? 'keeps integers outside the safe range exact, as bigint' : 'refuses integers outside the safe range (its driver rounds them), never rounded', async () => {
      await send('SET', key('big'), '9007199254740993');
      await expectBig(send('INCRBY', key('big'), '0'), 9007199254740993n);
      await send('SET', key('max'), '9223372036854775806');
      await expectBig(send('INCR', key('max')), 9223372036854775807n);
      await send('SET', key('min'), '-9223372036854775807');
      await expectBig(send('DECR', key('min')), -9223372036854775808n);
      expect(await send('INCRBY', key('small'), '-42')).toBe(-42);
    });

    it('gives floating-point replies as their decimal text in both protocols', async () => {
      await send('ZADD', key('scores'), '1.5', 'ada');
      expect(await send('ZSCORE', key('scores'), 'ada')).toBe('1.5');
      expect(await send('ZINCRBY', key('scores'), '2.25', 'ada')).toBe('3.75');
      expect(await send('ZRANGE', key('scores'), '0', '-1', 'WITHSCORES')).toEqual(
        transport.protocol === 3 ? [['ada', '3.75']] : ['ada', '3.75'],
      );
    });

    it('gives RESP3 maps as Map (a __proto__ field is data) and RESP2 maps as flat arrays', async () => {
      await send('HSET', key('hash'), '__proto__', 'polluted', 'constructor', 'x', 'name', 'Ada');
      const reply = await send('HGETALL', key('hash'));
      if (transport.protocol === 3) expect(reply).toBeInstanceOf(Map);
      else expect(Array.isArray(reply)).toBe(true);
      const map = readMap(reply);
      expect(map.get('__proto__')).toBe('polluted');
      expect(map.get('constructor')).toBe('x');
      expect(map.get('name')).toBe('Ada');
      // Exactly the three fields: a normaliser that built a plain object would lose `__proto__`.
      expect([...map.keys()].sort()).toEqual(['__proto__', 'constructor', 'name']);
    });

    it('rejects an error reply with its message and command, never its arguments', async () => {
      const secret = 'super-secret-argument-0xC0FFEE';
      await send('SET', key('text'), 'not a list');
      const error = await send('LPUSH', key('text'), secret).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteReplyError);
      expect(isReplyError(error, 'wrongtype')).toBe(true);
      const replyError = error as FerriteReplyError;
      expect(replyError.command).toBe('LPUSH');
      expect(replyError.serverMessage).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
      expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);

      const unknown = await send('NO.SUCH.COMMAND', 'x').catch((e: unknown) => e);
      expect(isReplyError(unknown, 'unknown-command')).toBe(true);
      const notInteger = await send('INCR', key('text')).catch((e: unknown) => e);
      expect((notInteger as FerriteReplyError).serverMessage).toBe('ERR value is not an integer or out of range');
    });

    it('settles every entry of a batch in order, a failing command in the middle included', async () => {
      const entries = await transport.batch([
        cmd('SET', key('b'), '1'),
        cmd('INCR', key('b')),
        cmd('LPUSH', key('b'), 'x'),
        cmd('INCRBY', key('b'), '40'),
        cmd('GET', key('b')),
      ]);
      expect(entries.map((e) => e.ok)).toEqual([true, true, false, true, true]);
      expect(entries.map((e) => (e.ok ? e.value : null))).toEqual(['OK', 2, null, 42, '42']);
      const failed = entries[2];
      expect(failed && !failed.ok && isReplyError(failed.error, 'wrongtype')).toBe(true);
      expect(await transport.batch([])).toEqual([]);
    });

    it('runs a blocking call on a dedicated connection without delaying the main one', async () => {
      const dedicated = await transport.dedicated(dedicatedOptions);
      try {
        let settled = false;
        const held = target.holdConnection
          ? await target.holdConnection(dedicated, key('held'))
          : { reply: dedicated.send(cmd('BLPOP', key('held'), '0')), release: cmd('LPUSH', key('held'), 'x') };
        const reply = held.reply.finally(() => (settled = true));
        // The dedicated connection is held until released, with no deadline: round trips on the
        // main connection complete meanwhile, or this test never ends.
        for (let i = 0; i < 5; i++) expect(await send('PING')).toBe('PONG');
        expect(settled).toBe(false);
        await transport.send(held.release);
        expect(await reply).not.toBeNull();
        expect(settled).toBe(true);
      } finally {
        await dedicated.close();
      }
    });

    it.runIf(options.cluster)('keeps per-connection state on a dedicated connection (cluster: a client name)', async () => {
      await using dedicated = await transport.dedicated(dedicatedOptions);
      const [node] = await dedicated.nodes!();
      const name = `conformance-${process.pid}`;
      expect(await dedicated.send(cmd('CLIENT', 'SETNAME', name))).toBe('OK');
      expect(await dedicated.send(cmd('CLIENT', 'GETNAME'))).toBe(name);
      expect(await transport.send(cmd('CLIENT', 'GETNAME'), { node: node?.id })).toBeNull();
    });

    it.skipIf(options.cluster)('keeps per-connection state on a dedicated connection', async () => {
      await using dedicated = await transport.dedicated();
      expect(await dedicated.send(cmd('SELECT', '1'))).toBe('OK');
      await dedicated.send(cmd('SET', key('db1-only'), 'x'));
      expect(await send('GET', key('db1-only'))).toBeNull();
      expect(await dedicated.send(cmd('GET', key('db1-only')))).toBe('x');
      await dedicated.send(cmd('DEL', key('db1-only')));
    });

    it('runs a transaction on a dedicated connection', async () => {
      await using dedicated = await transport.dedicated(dedicatedOptions);
      expect(await dedicated.send(cmd('MULTI'))).toBe('OK');
      expect(await dedicated.send(cmd('SET', key('tx'), '5'))).toBe('QUEUED');
      await dedicated.send(cmd('INCR', key('tx')));
      await dedicated.send(cmd('GET', key('tx-missing')));
      expect(await dedicated.send(cmd('EXEC'))).toEqual(['OK', 6, null]);
    });

    it('serves a composed client over the same transport, binary values intact through sendBuffer', async () => {
      const ferrite = createFerrite({ transport });
      expect(await ferrite.send('ECHO', 'composed')).toBe('composed');
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
      await ferrite.send('SET', key('raw-bytes'), bytes);
      const back = await ferrite.sendBuffer('GET', key('raw-bytes'));
      expect(Buffer.isBuffer(back) && back.equals(bytes)).toBe(true);
      expect(await ferrite.supports('GET')).toBe(true);
      expect(await ferrite.supports('NO.SUCH.COMMAND')).toBe(false);
    });

    describe('reply table: one Reply for each raw reply, on every transport and protocol', () => {
      const rows = replyTable((name) => key(`table:${name}`));
      for (const row of rows) {
        const runs = !row.lua || options.redisServer === true;
        // Script rows need a redis-server; the memory transport's engine has no Lua. Named, never silent.
        it.runIf(runs)(row.name, async () => {
          for (const setup of row.setup ?? []) await send(setup[0] as string, ...setup.slice(1));
          const [name, ...args] = row.command as [string, ...string[]];
          const command: WireCommand = { name, args, ...(row.binary ? { binary: true } : {}), ...(row.lua ? { routingKey: key('table') } : {}) };
          if ('rejects' in row.expected) {
            const error = await transport.send(command).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(FerriteReplyError);
            expect((error as FerriteReplyError).serverMessage).toMatch(row.expected.rejects);
            return;
          }
          const expected = row.expected[options.protocol];
          const setups = (row.setup ?? []).map((setup) => cmd(setup[0] as string, ...setup.slice(1)));
          if (typeof expected === 'bigint' && !exact) {
            await expectBig(transport.send(command), expected);
            const entries = await transport.batch([...setups, command]);
            expect((entries[entries.length - 1] as { error?: unknown }).error).toBeInstanceOf(FerriteInexactReplyError);
            return;
          }
          expect(await transport.send(command)).toEqual(expected);
          // The same through a pipeline, setup included.
          const entries = await transport.batch([...setups, command]);
          expect(entries[entries.length - 1]).toEqual({ ok: true, value: expected });
        });
      }
    });

    it('rejects an EXEC whose queued command failed with that error, and settles the rest of a pipeline', async () => {
      await using dedicated = await transport.dedicated(dedicatedOptions);
      await dedicated.send(cmd('SET', key('exec-text'), 'text'));
      expect(await dedicated.send(cmd('MULTI'))).toBe('OK');
      await dedicated.send(cmd('INCR', key('exec-counter')));
      await dedicated.send(cmd('LPUSH', key('exec-text'), 'x'));
      await dedicated.send(cmd('INCR', key('exec-counter')));
      const error = await dedicated.send(cmd('EXEC')).catch((e: unknown) => e);
      expect(isReplyError(error, 'wrongtype')).toBe(true);
      // The transaction ran: the commands around the failed one applied.
      expect(await send('GET', key('exec-counter'))).toBe('2');
      // In a pipeline, the EXEC entry fails alone.
      const entries = await dedicated.batch([cmd('MULTI'), cmd('LPUSH', key('exec-text'), 'y'), cmd('EXEC'), cmd('GET', key('exec-counter'))]);
      expect(entries.map((entry) => entry.ok)).toEqual([true, true, false, true]);
      expect(entries[3]).toEqual({ ok: true, value: '2' });
    });

    it('names its primaries and sends to one of them when asked, unrouted', async () => {
      // Plugins (a CDC feed per primary) read the topology from here, never from nodes().length.
      expect(transport.topology ?? 'single').toBe(options.cluster ? 'cluster' : 'single');
      expect(typeof transport.nodes).toBe('function');
      const nodes = await transport.nodes!();
      expect(nodes).toHaveLength(options.cluster?.primaries ?? 1);
      expect(new Set(nodes.map((node) => node.id)).size).toBe(nodes.length);
      for (const node of nodes) {
        expect(node.id).toMatch(/\S/);
        expect(typeof node.host).toBe('string');
        expect(Number.isInteger(node.port)).toBe(true);
        expect(await transport.send(cmd('ECHO', 'here'), { node: node.id })).toBe('here');
        // On a cluster the id is the node's own: ask the node.
        if (options.cluster) expect(await transport.send(cmd('CLUSTER', 'MYID'), { node: node.id })).toBe(node.id);
        const entries = await transport.batch([cmd('ECHO', 'a'), cmd('ECHO', 'b')], { node: node.id });
        expect(entries).toEqual([
          { ok: true, value: 'a' },
          { ok: true, value: 'b' },
        ]);
      }
      // Keys spread over the slots: asking each node for its own finds every key exactly once.
      const spread = Array.from({ length: 40 }, (_, i) => `${prefix}spread:${i}`);
      for (const name of spread) await send('SET', name, 'x');
      const found: string[] = [];
      for (const node of nodes) {
        const own = (await transport.send(cmd('KEYS', `${prefix}spread:*`), { node: node.id })) as string[];
        // 40 keys over 3 primaries: each holds some (all of them miss one with odds below 1e-6).
        expect(own.length).toBeGreaterThan(0);
        found.push(...own);
      }
      expect(found.sort()).toEqual([...spread].sort());
      for (const name of spread) await send('DEL', name);

      const unknown = await send('PING').then(() => transport.send(cmd('PING'), { node: 'no-such-node' })).catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(FerriteConnectionError);
      expect((unknown as FerriteConnectionError).maybeApplied).toBe(false);
    });

    it('opens a dedicated connection to a named node', async () => {
      const nodes = await transport.nodes!();
      const last = nodes[nodes.length - 1]!;
      await using dedicated = await transport.dedicated({ node: last.id });
      // A dedicated connection reaches one node, on a cluster too.
      expect(dedicated.topology ?? 'single').toBe('single');
      expect(await dedicated.nodes!()).toEqual([last]);
      if (options.cluster) expect(await dedicated.send(cmd('CLUSTER', 'MYID'))).toBe(last.id);
      else expect(await dedicated.send(cmd('PING'))).toBe('PONG');
    });

    it("gives each call a signal of its own: a third-party transport's never-removed listeners see one abort and no warning", async () => {
      let aborts = 0;
      const warnings: string[] = [];
      const onWarning = (warning: Error) => void warnings.push(warning.name);
      process.on('warning', onWarning);
      // What a transport author may well write: a `{ once: true }` listener per call, never removed.
      const minimal: Transport = {
        name: 'minimal',
        protocol: transport.protocol,
        send(command, sendOptions) {
          sendOptions?.signal?.addEventListener('abort', () => aborts++, { once: true });
          if (command.name !== 'HANG') return transport.send(command, sendOptions);
          return new Promise((_, reject) => sendOptions?.signal?.addEventListener('abort', () => reject(new Error('hung up')), { once: true }));
        },
        batch: (commands, batchOptions) => transport.batch(commands, batchOptions),
        dedicated: (dedicatedOptionsGiven) => transport.dedicated(dedicatedOptionsGiven),
        close: async () => {},
      };
      const ferrite = createFerrite({ transport: minimal, timeout: 10_000 });
      try {
        for (let round = 0; round < 20; round++) {
          const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => ferrite.send('ECHO', `call ${round * 50 + i}`)));
          expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => `call ${round * 50 + i}`));
        }
        await expect(ferrite.withOptions({ timeout: 100 }).send('HANG')).rejects.toMatchObject({ name: 'FerriteTimeoutError' });
        // Node reports a listener leak on a later tick.
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(aborts).toBe(1);
        expect(warnings.filter((name) => name === 'MaxListenersExceededWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
        await ferrite.close();
      }
    });

    it('lets plugins list the nodes and address one through their context', async () => {
      const probe = definePlugin({
        name: 'probe',
        setup: (context) => ({
          nodes: () => context.nodes(),
          echoOn: (id: string, text: string) => context.onNode(id).send('ECHO', text),
        }),
      });
      const ferrite = createFerrite({ transport, plugins: [probe] });
      const nodes = await ferrite.probe.nodes();
      expect(nodes).toEqual(await transport.nodes!());
      for (const node of nodes) expect(await ferrite.probe.echoOn(node.id, node.id)).toBe(node.id);
      const error = await ferrite.probe.echoOn('no-such-node', 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerriteConnectionError);
    });

    it.runIf(options.cluster && options.cluster.setslotMigrate !== false)('follows a slot migrated during a run (ASK while it moves, MOVED after), with no error and every key intact', async () => {
      const errorCount = async (node: string, kind: 'ASK' | 'MOVED'): Promise<number> => {
        const stats = String(await transport.send(cmd('INFO', 'errorstats'), { node }));
        return Number(new RegExp(`errorstat_${kind}:count=(\\d+)`).exec(stats)?.[1] ?? 0);
      };
      const slot = Number(await send('CLUSTER', 'KEYSLOT', key('migrating')));
      const nodes = await transport.nodes!();
      const ranges = (await send('CLUSTER', 'SLOTS')) as Reply[][];
      const range = ranges.find((entry) => Number(entry[0]) <= slot && slot <= Number(entry[1])) as Reply[];
      const sourceId = String((range[2] as Reply[])[2]);
      const source = nodes.find((node) => node.id === sourceId)!;
      const target = nodes.find((node) => node.id !== sourceId)!;
      const names = Array.from({ length: 20 }, (_, i) => key(`migrating:${i}`));
      for (const name of names) await send('SET', name, `value of ${name}`);
      const askBefore = await errorCount(source.id, 'ASK');
      const movedBefore = await errorCount(source.id, 'MOVED');

      await transport.send(cmd('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id), { node: target.id });
      await transport.send(cmd('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', target.id), { node: source.id });
      const moved = names.slice(0, 10);
      expect(await transport.send(cmd('MIGRATE', target.host, String(target.port), '', '0', '5000', 'KEYS', ...moved), { node: source.id })).toBe('OK');
      // While the slot moves: reads of moved keys and a write of a new key are asked over.
      for (const name of names) expect(await send('GET', name)).toBe(`value of ${name}`);
      expect(await send('SET', key('migrating:new'), 'value of new')).toBe('OK');
      const midway = await transport.batch(names.map((name) => cmd('GET', name)));
      expect(midway).toEqual(names.map((name) => ({ ok: true, value: `value of ${name}` })));
      expect(await errorCount(source.id, 'ASK')).toBeGreaterThan(askBefore);

      // Every key left in the slot goes (earlier cases' keys share it), or the slot cannot change hands.
      // As bytes: a binary key (an earlier case wrote one) must keep its exact name.
      const rest = (await transport.send({ ...cmd('CLUSTER', 'GETKEYSINSLOT', String(slot), '100000'), binary: true }, { node: source.id })) as Buffer[];
      expect(await transport.send(cmd('MIGRATE', target.host, String(target.port), '', '0', '5000', 'KEYS', ...rest), { node: source.id })).toBe('OK');
      for (const node of nodes) await transport.send(cmd('CLUSTER', 'SETSLOT', String(slot), 'NODE', target.id), { node: node.id });
      // The transport's map still names the old owner: MOVED, then straight to the new one.
      for (const name of names) expect(await send('GET', name)).toBe(`value of ${name}`);
      expect(await send('GET', key('migrating:new'))).toBe('value of new');
      expect(await errorCount(source.id, 'MOVED')).toBeGreaterThan(movedBefore);
      const movedAfterRefresh = await errorCount(source.id, 'MOVED');
      for (const name of names) expect(await send('GET', name)).toBe(`value of ${name}`);
      expect(await errorCount(source.id, 'MOVED')).toBe(movedAfterRefresh);
      expect(Number(await transport.send(cmd('CLUSTER', 'COUNTKEYSINSLOT', String(slot)), { node: target.id }))).toBeGreaterThanOrEqual(names.length + 1);
    });

    it('settles a command whose reply is lost mid-way (connection killed) with a connection error, then works again', async () => {
      await using victim = await transport.dedicated(dedicatedOptions);
      const id = String(await victim.send(cmd('CLIENT', 'ID')));
      const [node] = await victim.nodes!();
      // The blocked command is written; its connection is killed before any reply comes.
      const held = target.holdConnection
        ? await target.holdConnection(victim, key('lost-reply'))
        : { reply: victim.send(cmd('BLPOP', key('lost-reply'), '0')) };
      const lost = held.reply.catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await transport.send(cmd('CLIENT', 'KILL', 'ID', id), { node: node?.id });
      const error = await lost;
      expect(error).toBeInstanceOf(FerriteConnectionError);
      expect((error as FerriteConnectionError).maybeApplied).toBe(true);
      expect(await send('PING')).toBe('PONG');
    });

    it('closes: later calls reject with a connection error, dedicated connections end too, close is idempotent', async () => {
      const dedicated = await transport.dedicated(dedicatedOptions);
      expect(await dedicated.send(cmd('PING'))).toBe('PONG');
      await transport.close();
      await transport.close();
      for (const attempt of [send('PING'), transport.batch([cmd('PING')]), transport.dedicated(), dedicated.send(cmd('PING'))]) {
        const error = await attempt.then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(FerriteConnectionError);
        expect(isConnectionError(error)).toBe(true);
      }
      await dedicated.close();
    });
  });
}
