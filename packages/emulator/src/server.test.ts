import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from './engine/emulator.js';
import { RawRespClient, encodeCommand, plain } from './engine/testing/raw-client.js';
import type { RespValue } from './engine/testing/raw-client.js';
import { startEmulator } from './server.js';
import type { RunningEmulator } from './server.js';

/** Raw RESP over a real socket: connection and server commands, in RESP2 and RESP3. */
let server: RunningEmulator;
let secured: RunningEmulator;
const clients: RawRespClient[] = [];

async function connect(target: RunningEmulator = server): Promise<RawRespClient> {
  const client = await RawRespClient.connect(target.port);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startEmulator();
  secured = await startEmulator({ password: 'pw' });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(async () => {
  await server.close();
  await secured.close();
});

describe('connection commands', () => {
  it('HELLO switches protocol and reports the server', async () => {
    const client = await connect();
    const resp2 = await client.send('HELLO');
    expect(resp2.type).toBe('array');
    const reply = await client.send('HELLO', '3', 'SETNAME', 'me');
    expect(reply.type).toBe('map');
    const fields = plain(reply) as Map<string, unknown>;
    expect(fields.get('server')).toBe('ferrite');
    expect(fields.get('version')).toBe('7.2.0');
    expect(fields.get('proto')).toBe(3);
    expect(fields.get('mode')).toBe('standalone');
    expect(fields.get('role')).toBe('master');
    expect(fields.get('modules')).toEqual([]);
    expect(plain(await client.send('CLIENT', 'GETNAME'))).toBe('me');
    expect(await client.send('GET', 'missing')).toEqual({ type: 'null' });
    expect(plain(await client.send('HELLO', '4'))).toEqual({ error: 'NOPROTO unsupported protocol version' });
    expect(plain(await client.send('HELLO', 'x'))).toEqual({ error: 'ERR Protocol version is not an integer or out of range' });
    expect(plain(await client.send('HELLO', '3', 'BOGUS'))).toEqual({ error: "ERR Syntax error in HELLO option 'BOGUS'" });
    expect(plain(await client.send('HELLO', '2'))).toEqual(expect.arrayContaining(['proto', 2]));
    expect(await client.send('GET', 'missing')).toEqual({ type: 'bulk', value: null });
  });

  it('requires AUTH when a password is set', async () => {
    const client = await connect(secured);
    expect(plain(await client.send('GET', 'k'))).toEqual({ error: 'NOAUTH Authentication required.' });
    expect(plain(await client.send('NOPE'))).toEqual({ error: "ERR unknown command 'NOPE', with args beginning with: " });
    expect(plain(await client.send('HELLO', '3'))).toEqual({
      error:
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    });
    expect(plain(await client.send('AUTH', 'wrong'))).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(plain(await client.send('AUTH', 'other', 'pw'))).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(plain(await client.send('AUTH', 'pw'))).toBe('+OK');
    expect(plain(await client.send('GET', 'k'))).toBeNull();
    expect(plain(await client.send('RESET'))).toBe('+RESET');
    expect(plain(await client.send('GET', 'k'))).toEqual({ error: 'NOAUTH Authentication required.' });
    expect((await client.send('HELLO', '3', 'AUTH', 'default', 'pw')).type).toBe('map');
    expect(plain(await client.send('PING'))).toBe('+PONG');
  });

  it('AUTH without a configured password explains itself', async () => {
    const client = await connect();
    expect(plain(await client.send('AUTH', 'x'))).toEqual({
      error: 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    });
  });

  it('SELECT isolates databases', async () => {
    const client = await connect();
    expect(plain(await client.send('SELECT', '16'))).toEqual({ error: 'ERR DB index is out of range' });
    expect(plain(await client.send('SELECT', 'x'))).toEqual({ error: 'ERR value is not an integer or out of range' });
    await client.send('SELECT', '7');
    await client.send('SET', 'only-in-7', 'v');
    const other = await connect();
    expect(plain(await other.send('EXISTS', 'only-in-7'))).toBe(0);
    await other.send('SELECT', '7');
    expect(plain(await other.send('EXISTS', 'only-in-7'))).toBe(1);
  });

  it('PING, ECHO and QUIT', async () => {
    const client = await connect();
    expect(plain(await client.send('PING', 'hi'))).toBe('hi');
    expect(plain(await client.send('PING', 'a', 'b'))).toEqual({ error: "ERR wrong number of arguments for 'ping' command" });
    expect(plain(await client.send('ECHO', 'x'))).toBe('x');
    expect(plain(await client.send('echo'))).toEqual({ error: "ERR wrong number of arguments for 'echo' command" });
    expect(plain(await client.send('QUIT'))).toBe('+OK');
    await client.closed;
  });

  it('CLIENT ID, SETNAME, GETNAME, SETINFO, LIST, KILL', async () => {
    const client = await connect();
    const victim = await connect();
    const id = plain(await client.send('CLIENT', 'ID')) as number;
    const victimId = plain(await victim.send('client', 'id')) as number;
    expect(victimId).not.toBe(id);
    expect(plain(await client.send('CLIENT', 'GETNAME'))).toBeNull();
    expect(plain(await client.send('CLIENT', 'SETNAME', 'bad name'))).toEqual({ error: 'ERR Client names cannot contain spaces, newlines or special characters.' });
    expect(plain(await client.send('CLIENT', 'SETNAME', 'worker'))).toBe('+OK');
    expect(plain(await client.send('CLIENT', 'SETINFO', 'LIB-NAME', 'ferrite'))).toBe('+OK');
    expect(plain(await client.send('CLIENT', 'SETINFO', 'LIB-VER', '1.0'))).toBe('+OK');
    expect(plain(await client.send('CLIENT', 'SETINFO', 'OTHER', '1'))).toEqual({ error: "ERR Unrecognized option 'OTHER'" });
    const list = plain(await client.send('CLIENT', 'LIST')) as string;
    expect(list).toContain(`id=${id} `);
    expect(list).toContain('name=worker');
    expect(list).toContain('lib-name=ferrite lib-ver=1.0');
    expect(list.trimEnd().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(plain(await client.send('CLIENT', 'NOPE'))).toEqual({ error: "ERR unknown subcommand 'NOPE'. Try CLIENT HELP." });
    expect(plain(await client.send('CLIENT', 'KILL'))).toEqual({ error: "ERR wrong number of arguments for 'client|kill' command" });
    expect(plain(await client.send('CLIENT'))).toEqual({ error: "ERR wrong number of arguments for 'client' command" });
    expect(plain(await client.send('CLIENT', 'KILL', 'ID', String(victimId)))).toBe(1);
    await victim.closed;
    expect(plain(await client.send('CLIENT', 'KILL', 'ID', String(victimId)))).toBe(0);
  });

  it('CLIENT KILL with filters kills only a client that matches them all, and never the caller unless SKIPME no', async () => {
    const client = await connect();
    const victim = await connect();
    const bystander = await connect();
    const field = (info: string, name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(info)?.[1] as string;
    const victimInfo = plain(await victim.send('CLIENT', 'INFO')) as string;
    const [victimId, victimAddress] = [field(victimInfo, 'id'), field(victimInfo, 'addr')];
    const bystanderAddress = field(plain(await bystander.send('CLIENT', 'INFO')) as string, 'addr');
    expect(victimAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    // The id of one client and the address of another: nobody matches both.
    expect(plain(await client.send('CLIENT', 'KILL', 'ID', victimId, 'ADDR', bystanderAddress))).toBe(0);
    expect(plain(await victim.send('PING'))).toBe('+PONG');
    const ownId = String(plain(await client.send('CLIENT', 'ID')));
    expect(plain(await client.send('CLIENT', 'KILL', 'ID', ownId))).toBe(0);
    expect(plain(await client.send('CLIENT', 'KILL', 'ID', victimId, 'ADDR', victimAddress, 'SKIPME', 'yes'))).toBe(1);
    await victim.closed;
    expect(plain(await bystander.send('PING'))).toBe('+PONG');
    expect(plain(await client.send('CLIENT', 'KILL', 'ADDR', bystanderAddress, 'SKIPME', 'maybe'))).toEqual({ error: 'ERR syntax error' });
    expect(plain(await client.send('CLIENT', 'KILL', 'ID', ownId, 'SKIPME', 'no'))).toBe(1);
    await client.closed;
  });
});

describe('server commands', () => {
  it('COMMAND INFO describes standard and extension commands in the Redis 7 shape', async () => {
    const client = await connect();
    await client.send('HELLO', '3');
    const count = plain(await client.send('COMMAND', 'COUNT')) as number;
    expect(count).toBe(server.emulator.commands().length);
    const info = await client.send('COMMAND', 'INFO', 'get', 'vector.search', 'cdc.poll', 'nope');
    expect(info.type).toBe('array');
    const [get, search, poll, nope] = (info as { items: RespValue[] }).items;
    const getInfo = plain(get as RespValue) as unknown[];
    expect(getInfo.slice(0, 6)).toEqual(['get', 2, new Set(['+readonly', '+fast']), 1, 1, 1]);
    expect(getInfo).toHaveLength(10);
    expect((get as { items: RespValue[] }).items[2]?.type).toBe('set');
    expect((plain(search as RespValue) as unknown[]).slice(3, 6)).toEqual([1, 1, 1]);
    expect((plain(poll as RespValue) as unknown[]).slice(3, 6)).toEqual([0, 0, 0]);
    expect(nope).toEqual({ type: 'null' });
    const all = plain(await client.send('COMMAND')) as unknown[][];
    expect(all.map((entry) => entry[0])).toEqual(expect.arrayContaining(['set', 'semantic.get', 'crdt.counter.incr', 'cdc.subscribe', 'vector.index.list']));
    const docs = await client.send('COMMAND', 'DOCS', 'get');
    expect(docs.type).toBe('map');
  });

  it('INFO carries what drivers read', async () => {
    const client = await connect();
    const text = plain(await client.send('INFO')) as string;
    expect(text).toContain('redis_version:7.2.0\r\n');
    expect(text).toContain('loading:0\r\n');
    expect(text).toContain('ferrite_version:');
    expect(text).toContain('redis_mode:standalone');
    expect(text).toContain('role:master');
    const only = plain(await client.send('INFO', 'persistence')) as string;
    expect(only).toContain('loading:0');
    expect(only).not.toContain('redis_version');
  });

  it('DBSIZE, FLUSHDB, FLUSHALL, TIME', async () => {
    const emulator = await startEmulator();
    try {
      const client = await connect(emulator);
      await client.send('MSET', 'a', '1', 'b', '2');
      await client.send('SELECT', '1');
      await client.send('SET', 'c', '3');
      expect(plain(await client.send('DBSIZE'))).toBe(1);
      expect(plain(await client.send('FLUSHDB'))).toBe('+OK');
      expect(plain(await client.send('DBSIZE'))).toBe(0);
      await client.send('SELECT', '0');
      expect(plain(await client.send('DBSIZE'))).toBe(2);
      expect(plain(await client.send('FLUSHALL', 'BAD'))).toEqual({ error: 'ERR syntax error' });
      expect(plain(await client.send('FLUSHALL', 'ASYNC'))).toBe('+OK');
      expect(plain(await client.send('DBSIZE'))).toBe(0);
      const [seconds, micros] = plain(await client.send('TIME')) as [string, string];
      expect(Math.abs(Number(seconds) - Date.now() / 1000)).toBeLessThan(60);
      expect(Number(micros)).toBeLessThan(1_000_000);
    } finally {
      await emulator.close();
    }
  });

  it('DEBUG SLEEP holds only its own connection, and ends with it', async () => {
    const sleeper = await connect();
    const other = await connect();
    const sleeperId = plain(await sleeper.send('CLIENT', 'ID')) as number;
    let settled = false;
    const sleeping = sleeper.send('DEBUG', 'SLEEP', '600').finally(() => {
      settled = true;
    });
    const queuedBehind = sleeper.send('PING');
    expect(plain(await other.send('PING'))).toBe('+PONG');
    expect(settled).toBe(false);
    // Killing the sleeping connection ends the wait and drops what was queued behind it.
    expect(plain(await other.send('CLIENT', 'KILL', 'ID', String(sleeperId)))).toBe(1);
    await expect(sleeping).rejects.toThrow('connection closed');
    await expect(queuedBehind).rejects.toThrow('connection closed');
    await expect.poll(() => server.emulator.session(sleeperId), { timeout: 5000 }).toBeUndefined();
  });
});

describe('many clients', () => {
  it('serves concurrent pipelined clients, each in request order', async () => {
    const connections = await Promise.all(Array.from({ length: 40 }, () => connect()));
    const results = await Promise.all(
      connections.map(async (client, index) => {
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, step) => client.send('RPUSH', `order:${index}`, String(step)).then(() => client.send('INCR', 'many:counter'))),
        );
        return { replies, list: plain(await client.send('LRANGE', `order:${index}`, '0', '-1')) };
      }),
    );
    for (const { list } of results) expect(list).toEqual(Array.from({ length: 50 }, (_, step) => String(step)));
    const counted = results.flatMap(({ replies }) => replies.map(plain)).sort((a, b) => (a as number) - (b as number));
    expect(counted).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  }, 30_000);
});

describe('transactions', () => {
  it('queues, executes, discards and aborts like Redis', async () => {
    const client = await connect();
    expect(plain(await client.send('EXEC'))).toEqual({ error: 'ERR EXEC without MULTI' });
    expect(plain(await client.send('DISCARD'))).toEqual({ error: 'ERR DISCARD without MULTI' });
    expect(plain(await client.send('MULTI'))).toBe('+OK');
    expect(plain(await client.send('MULTI'))).toEqual({ error: 'ERR MULTI calls can not be nested' });
    expect(plain(await client.send('SET', 'tx', 'a'))).toBe('+QUEUED');
    expect(plain(await client.send('LPUSH', 'tx', 'b'))).toBe('+QUEUED');
    expect(plain(await client.send('EXEC'))).toEqual(['+OK', { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }]);
    await client.send('MULTI');
    await client.send('SET', 'tx', 'c');
    expect(plain(await client.send('DISCARD'))).toBe('+OK');
    expect(plain(await client.send('GET', 'tx'))).toBe('a');
    await client.send('MULTI');
    expect(plain(await client.send('SET', 'tx'))).toEqual({ error: "ERR wrong number of arguments for 'set' command" });
    await client.send('SET', 'tx', 'd');
    expect(plain(await client.send('EXEC'))).toEqual({ error: 'EXECABORT Transaction discarded because of previous errors.' });
    expect(plain(await client.send('GET', 'tx'))).toBe('a');
  });
});

describe('WATCH', () => {
  it('fails EXEC when another client changed, flushed or let expire a watched key', async () => {
    let now = 1_000_000;
    const running = await startEmulator({ clock: () => now });
    try {
      const client = await connect(running);
      const other = await connect(running);
      const attempt = async (change: () => Promise<unknown>) => {
        await client.send('WATCH', 'w');
        await change();
        await client.send('MULTI');
        await client.send('SET', 'w', 'mine');
        return client.send('EXEC');
      };
      await client.send('SET', 'w', 'v');
      expect(plain(await attempt(async () => {}))).toEqual(['+OK']);
      expect(await attempt(() => other.send('SET', 'w', 'theirs'))).toEqual({ type: 'array', items: null });
      expect(plain(await client.send('GET', 'w'))).toBe('theirs');
      expect(plain(await attempt(() => other.send('SET', 'unrelated', 'x')))).toEqual(['+OK']);
      expect(plain(await attempt(() => other.send('FLUSHALL')))).toBeNull();
      await client.send('SET', 'w', 'v', 'PX', '10');
      expect(plain(await attempt(async () => (now += 20)))).toBeNull();
      await client.send('WATCH', 'w');
      expect(plain(await client.send('UNWATCH'))).toBe('+OK');
      await other.send('SET', 'w', 'again');
      await client.send('MULTI');
      expect(plain(await client.send('WATCH', 'x'))).toEqual({ error: 'ERR WATCH inside MULTI is not allowed' });
      expect(plain(await client.send('EXEC'))).toEqual([]);
    } finally {
      await running.close();
    }
  });
});

describe('RESP2 and RESP3 encodings', () => {
  it('sends maps, doubles, sets and nulls natively in RESP3 and flattened in RESP2', async () => {
    const resp2 = await connect();
    const resp3 = await connect();
    await resp3.send('HELLO', '3');
    await resp2.send('HSET', 'enc:h', 'f', 'v');
    await resp2.send('ZADD', 'enc:z', '2.5', 'm');
    await resp2.send('SADD', 'enc:s', 'x');
    expect(await resp2.send('HGETALL', 'enc:h')).toEqual({ type: 'array', items: [{ type: 'bulk', value: Buffer.from('f') }, { type: 'bulk', value: Buffer.from('v') }] });
    expect((await resp3.send('HGETALL', 'enc:h')).type).toBe('map');
    expect(await resp2.send('ZSCORE', 'enc:z', 'm')).toEqual({ type: 'bulk', value: Buffer.from('2.5') });
    expect(await resp3.send('ZSCORE', 'enc:z', 'm')).toEqual({ type: 'double', value: 2.5 });
    expect((await resp3.send('SMEMBERS', 'enc:s')).type).toBe('set');
    expect((await resp2.send('SMEMBERS', 'enc:s')).type).toBe('array');
    expect(await resp2.send('LPOP', 'enc:none', '2')).toEqual({ type: 'array', items: null });
    expect(await resp3.send('LPOP', 'enc:none', '2')).toEqual({ type: 'null' });
    expect(plain(await resp3.send('ZRANGE', 'enc:z', '0', '-1', 'WITHSCORES'))).toEqual([['m', 2.5]]);
    expect(plain(await resp2.send('ZRANGE', 'enc:z', '0', '-1', 'WITHSCORES'))).toEqual(['m', '2.5']);
  });
});

describe('the request parser over TCP', () => {
  it('reads inline commands, pipelines and frames split at every byte', async () => {
    const client = await connect();
    const inline = [client.nextReply(), client.nextReply(), client.nextReply()];
    client.writeRaw('PING\r\nSET inline "a b"\r\nGET inline\r\n');
    expect((await Promise.all(inline)).map(plain)).toEqual(['+PONG', '+OK', 'a b']);
    const frames = Buffer.concat([encodeCommand(['SET', 'split', 'value']), encodeCommand(['GET', 'split'])]);
    const replies = [client.nextReply(), client.nextReply()];
    for (const byte of frames) {
      client.writeRaw(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await Promise.all(replies)).map(plain)).toEqual(['+OK', 'value']);
  });

  it('answers a bad frame with a protocol error and closes, after the commands before it', async () => {
    const client = await connect();
    const other = await connect();
    const replies = [client.nextReply(), client.nextReply()];
    client.writeRaw('*1\r\n$4\r\nPING\r\n*1\r\n+BAD\r\n');
    expect((await Promise.all(replies)).map(plain)).toEqual(['+PONG', { error: "ERR Protocol error: expected '$', got '+'" }]);
    await client.closed;
    expect(plain(await other.send('PING'))).toBe('+PONG');
    const third = await connect();
    third.writeRaw('*x\r\n');
    expect(plain(await third.nextReply())).toEqual({ error: 'ERR Protocol error: invalid multibulk length' });
    const fourth = await connect();
    fourth.writeRaw('*1\r\n$-5\r\n');
    expect(plain(await fourth.nextReply())).toEqual({ error: 'ERR Protocol error: invalid bulk length' });
    const fifth = await connect();
    fifth.writeRaw('SET "unbalanced\r\n');
    expect(plain(await fifth.nextReply())).toEqual({ error: 'ERR Protocol error: unbalanced quotes in request' });
  });

  it('takes a 64 MiB argument', async () => {
    const client = await connect();
    const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
    expect(plain(await client.send('SET', 'big', big))).toBe('+OK');
    expect(plain(await client.send('STRLEN', 'big'))).toBe(big.length);
    await client.send('DEL', 'big');
  }, 30_000);

  it('cleans up the session of a client that vanishes mid-command', async () => {
    const emulator = await startEmulator();
    try {
      const client = await connect(emulator);
      await client.send('PING');
      expect(emulator.emulator.openSessions()).toHaveLength(1);
      client.writeRaw(encodeCommand(['DEBUG', 'SLEEP', '30']));
      await new Promise((resolve) => setTimeout(resolve, 20));
      client.destroy();
      await expect.poll(() => emulator.emulator.openSessions().length, { timeout: 5000 }).toBe(0);
    } finally {
      await emulator.close();
    }
  });
});

describe('change data capture from the key space', () => {
  it('records one event per changed key, with string values, RENAME twice, flushes once', async () => {
    const emulator = new Emulator();
    const running = await startEmulator({ emulator });
    try {
      const client = await connect(running);
      await client.send('SET', 'a', '1');
      await client.send('INCR', 'a');
      await client.send('SETNX', 'a', 'no');
      await client.send('DEL', 'missing');
      await client.send('HSET', 'h', 'f', 'v');
      await client.send('RENAME', 'a', 'b');
      await client.send('SELECT', '2');
      await client.send('FLUSHDB');
      const log = emulator.changeLog;
      const events = Array.from({ length: log.lastId }, (_, i) => log.get(i + 1)).map((event) => [event?.db, event?.op, event?.key, event?.value?.toString() ?? null]);
      expect(events).toEqual([
        [0, 'SET', 'a', '1'],
        [0, 'INCR', 'a', '2'],
        [0, 'HSET', 'h', null],
        [0, 'RENAME', 'a', null],
        [0, 'RENAME', 'b', null],
        [2, 'FLUSHDB', '', null],
      ]);
    } finally {
      await running.close();
    }
  });

  it('emits EXPIRED for keys nobody reads, through the active sweep', () => {
    let now = 1_000_000;
    const emulator = new Emulator({ clock: () => now });
    const session = emulator.createSession();
    emulator.execute(session, ['SET', 'short', 'v', 'PX', '100'].map((part) => Buffer.from(part)));
    emulator.execute(session, ['SET', 'long', 'v', 'EX', '100'].map((part) => Buffer.from(part)));
    now += 150;
    expect(emulator.expireDue()).toBe(1);
    const last = emulator.changeLog.get(emulator.changeLog.lastId);
    expect([last?.op, last?.key, last?.value]).toEqual(['EXPIRED', 'short', null]);
    expect(emulator.database(0).keys()).toEqual(['long']);
  });
});
