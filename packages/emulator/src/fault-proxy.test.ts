import { connect, createServer, type Server, type Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { redisServerMissing, startRedisServer, type RedisServer } from '@ferrite/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { faultProxy, type FaultProxy } from './fault-proxy.js';

/** How long "nothing arrives" is watched for: long enough to matter, short enough to keep the file fast. */
const QUIET_MS = 300;
const WAIT = { timeout: 5000, interval: 5 };

// ---------------------------------------------------------------------------------------------
// A real TCP target, started per test on port 0, that records what it reads.

interface Target {
  readonly port: number;
  /** Every read, in order, with when it happened. */
  readonly reads: Array<{ readonly bytes: Buffer; readonly at: number }>;
  /** Sockets accepted so far (open or not). */
  readonly accepted: Socket[];
  /** Inline commands read so far (RESP targets only). */
  readonly commands: string[];
  read(): string;
  close(): Promise<void>;
}

type Responder = (command: string, socket: Socket, target: Target) => void | Promise<void>;

/** An echo server, or with `respond`, a tiny RESP server reading inline commands (`GET a\r\n`). */
async function startTarget(respond?: Responder): Promise<Target> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    target.accepted.push(socket);
    sockets.add(socket);
    socket.on('error', () => {}).once('close', () => sockets.delete(socket));
    let pending = '';
    let replies = Promise.resolve();
    socket.on('data', (bytes: Buffer) => {
      target.reads.push({ bytes, at: performance.now() });
      if (!respond) return void socket.write(bytes);
      pending += bytes.toString('latin1');
      for (let eol = pending.indexOf('\n'); eol >= 0; eol = pending.indexOf('\n')) {
        const command = pending.slice(0, eol).trim();
        pending = pending.slice(eol + 1);
        target.commands.push(command);
        replies = replies.then(() => respond(command, socket, target));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('target not on TCP');
  const target: Target = {
    port: address.port,
    reads: [],
    accepted: [],
    commands: [],
    read: () => Buffer.concat(target.reads.map((r) => r.bytes)).toString('latin1'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return target;
}

/** Replies by command name; `HOLD` commands get no reply until the test writes one. */
const scripted =
  (replies: Record<string, string>): Responder =>
  (command, socket) => {
    const name = command.split(' ')[0] ?? '';
    if (name !== 'HOLD') socket.write(replies[name] ?? '-ERR unknown command\r\n');
  };

/** A counter server: `INCR` answers the new value, `PING` answers `+PONG`. */
function counter(): { respond: Responder; value: () => number } {
  let value = 0;
  return {
    value: () => value,
    respond: (command, socket) => void socket.write(command === 'PING' ? '+PONG\r\n' : `:${++value}\r\n`),
  };
}

// ---------------------------------------------------------------------------------------------
// Real clients.

interface Client {
  readonly socket: Socket;
  readonly reads: Buffer[];
  readonly events: string[];
  error: NodeJS.ErrnoException | undefined;
  read(): string;
}

async function connectClient(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port });
  const client: Client = {
    socket,
    reads: [],
    events: [],
    error: undefined,
    read: () => Buffer.concat(client.reads).toString('latin1'),
  };
  socket.on('data', (bytes: Buffer) => client.reads.push(bytes));
  socket.on('end', () => client.events.push('end'));
  socket.on('close', () => client.events.push('close'));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    client.events.push('error');
    client.error = error;
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve).once('close', resolve);
  });
  clients.push(client);
  return client;
}

function connectionRefused(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

const clients: Client[] = [];
const targets: Target[] = [];
const proxies: FaultProxy[] = [];

async function setup(respond?: Responder): Promise<{ target: Target; proxy: FaultProxy }> {
  const target = await startTarget(respond);
  targets.push(target);
  const proxy = await faultProxy({ target: { port: target.port } });
  proxies.push(proxy);
  return { target, proxy };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(targets.splice(0).map((target) => target.close()));
});

// ---------------------------------------------------------------------------------------------

describe('faultProxy', () => {
  it('passes bytes both ways and counts open connections', async () => {
    const { target, proxy } = await setup();
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    const client = await connectClient(proxy.port);
    client.socket.write('hello');
    await vi.waitFor(() => expect(client.read()).toBe('hello'), WAIT);
    expect(target.read()).toBe('hello');
    expect(proxy.connections).toBe(1);

    client.socket.end();
    await vi.waitFor(() => expect(proxy.connections).toBe(0), WAIT);
    await vi.waitFor(() => expect(target.accepted[0]?.destroyed).toBe(true), WAIT);
  });

  it('delay(ms) holds each chunk at least ms, in both directions', async () => {
    const { target, proxy } = await setup();
    const client = await connectClient(proxy.port);
    proxy.delay(150);
    const sentAt = performance.now();
    client.socket.write('slow');
    await vi.waitFor(() => expect(client.read()).toBe('slow'), WAIT);
    const receivedAt = performance.now();
    const targetReadAt = target.reads[0]!.at;
    expect(targetReadAt - sentAt).toBeGreaterThanOrEqual(150);
    expect(receivedAt - targetReadAt).toBeGreaterThanOrEqual(150);
  });

  it('delay keeps the byte order when the delay changes mid-stream', async () => {
    const { target, proxy } = await setup();
    const client = await connectClient(proxy.port);
    proxy.delay(200);
    client.socket.write('first,');
    await sleep(50); // lets the proxy take 'first,' under the long delay; the assertions hold either way
    proxy.delay(0);
    client.socket.write('second');
    await vi.waitFor(() => expect(target.read()).toBe('first,second'), WAIT);
    await vi.waitFor(() => expect(client.read()).toBe('first,second'), WAIT);
  });

  it('fragment() makes both peers read one byte at a time', async () => {
    const { target, proxy } = await setup();
    const client = await connectClient(proxy.port);
    proxy.fragment();
    const message = 'fragmented message';
    client.socket.write(message);
    await vi.waitFor(() => expect(client.read()).toBe(message), WAIT);
    expect(target.reads.map((r) => r.bytes.length)).toEqual(Array(message.length).fill(1));
    expect(client.reads.map((r) => r.length)).toEqual(Array(message.length).fill(1));
  });

  it('blackhole() forwards nothing either way, keeps the sockets open and does not replay later', async () => {
    const { target, proxy } = await setup();
    const client = await connectClient(proxy.port);
    client.socket.write('before');
    await vi.waitFor(() => expect(client.read()).toBe('before'), WAIT);

    proxy.blackhole();
    client.socket.write('lost-up');
    target.accepted[0]!.write('lost-down');
    await sleep(QUIET_MS);
    expect(target.read()).toBe('before');
    expect(client.read()).toBe('before');
    expect(client.events).toEqual([]);
    expect(target.accepted[0]!.destroyed).toBe(false);
    expect(proxy.connections).toBe(1);

    proxy.blackhole(false);
    client.socket.write('after');
    await vi.waitFor(() => expect(client.read()).toBe('beforeafter'), WAIT);
    expect(target.read()).toBe('beforeafter');
  });

  it('cut({ mode: "fin" }) ends connections gracefully: the client sees end, no error', async () => {
    const { target, proxy } = await setup();
    const client = await connectClient(proxy.port);
    client.socket.write('x');
    await vi.waitFor(() => expect(client.read()).toBe('x'), WAIT);
    await proxy.cut({ mode: 'fin' });
    await vi.waitFor(() => expect(client.events).toContain('close'), WAIT);
    expect(client.events).toEqual(['end', 'close']);
    expect(client.error).toBeUndefined();
    await vi.waitFor(() => expect(target.accepted[0]!.destroyed).toBe(true), WAIT);
    expect(proxy.connections).toBe(0);
  });

  it('cut({ mode: "rst" }) resets connections: the client sees ECONNRESET', async () => {
    const { target, proxy } = await setup();
    const client = await connectClient(proxy.port);
    client.socket.write('x');
    await vi.waitFor(() => expect(client.read()).toBe('x'), WAIT);
    await proxy.cut({ mode: 'rst' });
    await vi.waitFor(() => expect(client.events).toContain('close'), WAIT);
    expect(client.error?.code).toBe('ECONNRESET');
    expect(client.events).not.toContain('end');
    await vi.waitFor(() => expect(target.accepted[0]!.destroyed).toBe(true), WAIT);
  });

  it('a cut proxy still accepts new connections', async () => {
    const { proxy } = await setup();
    await connectClient(proxy.port);
    await proxy.cut({ mode: 'rst' });
    const next = await connectClient(proxy.port);
    next.socket.write('again');
    await vi.waitFor(() => expect(next.read()).toBe('again'), WAIT);
  });

  it('refuseNewConnections() closes new connections at once while open ones keep working', async () => {
    const { target, proxy } = await setup();
    const old = await connectClient(proxy.port);
    old.socket.write('a');
    await vi.waitFor(() => expect(old.read()).toBe('a'), WAIT);

    proxy.refuseNewConnections();
    const refused = await connectClient(proxy.port);
    await vi.waitFor(() => expect(refused.events).toContain('close'), WAIT);
    expect(refused.read()).toBe('');
    expect(target.accepted).toHaveLength(1);
    old.socket.write('b');
    await vi.waitFor(() => expect(old.read()).toBe('ab'), WAIT);

    proxy.refuseNewConnections(false);
    const accepted = await connectClient(proxy.port);
    accepted.socket.write('c');
    await vi.waitFor(() => expect(accepted.read()).toBe('c'), WAIT);
    expect(target.accepted).toHaveLength(2);
  });

  describe('dropNextReply()', () => {
    it('forwards the request but drops its reply; the next request is answered', async () => {
      const server = counter();
      const { target, proxy } = await setup(server.respond);
      const client = await connectClient(proxy.port);
      proxy.dropNextReply();
      client.socket.write('INCR n\r\n');
      await vi.waitFor(() => expect(server.value()).toBe(1), WAIT);
      client.socket.write('INCR n\r\n');
      // Replies come in order, so had ":1" been forwarded it would arrive before ":2".
      await vi.waitFor(() => expect(client.read()).toBe(':2\r\n'), WAIT);
      expect(target.commands).toEqual(['INCR n', 'INCR n']);
      client.socket.write('PING\r\n');
      await vi.waitFor(() => expect(client.read()).toBe(':2\r\n+PONG\r\n'), WAIT);
    });

    it('drops exactly one complete nested reply that arrives byte by byte, and keeps what follows it', async () => {
      const nested = '*3\r\n*2\r\n:1\r\n$5\r\nab\r\nc\r\n%1\r\n+key\r\n~2\r\n_\r\n#t\r\n|1\r\n+ttl\r\n:9\r\n$-1\r\n';
      const { target, proxy } = await setup(async (command, socket) => {
        const reply = command === 'NESTED' ? nested : '+PONG\r\n';
        for (const byte of Buffer.from(reply)) {
          socket.write(Uint8Array.of(byte));
          await nextTurn();
        }
      });
      const client = await connectClient(proxy.port);
      proxy.dropNextReply();
      client.socket.write('NESTED\r\nPING\r\n');
      await vi.waitFor(() => expect(client.read()).toBe('+PONG\r\n'), WAIT);
      expect(target.commands).toEqual(['NESTED', 'PING']);
    });

    it('called twice, drops the replies of the next two requests, even when they come in one chunk', async () => {
      const { target, proxy } = await setup((command, socket) => {
        // GET gets no answer until PING; then the replies to both GETs and to PING come in one write.
        if (command === 'PING') socket.write('*2\r\n*1\r\n+a\r\n$1\r\nb\r\n+PONG\r\n:7\r\n');
      });
      const client = await connectClient(proxy.port);
      proxy.dropNextReply();
      proxy.dropNextReply();
      client.socket.write('GET a\r\n');
      await vi.waitFor(() => expect(target.commands).toEqual(['GET a']), WAIT);
      client.socket.write('GET b\r\n');
      await vi.waitFor(() => expect(target.commands).toEqual(['GET a', 'GET b']), WAIT);
      client.socket.write('PING\r\n');
      await vi.waitFor(() => expect(client.read()).toBe(':7\r\n'), WAIT);
    });

    it('counts replies still owed to earlier pipelined requests', async () => {
      const { target, proxy } = await setup(scripted({}));
      const client = await connectClient(proxy.port);
      client.socket.write('HOLD a\r\n');
      await vi.waitFor(() => expect(target.commands).toEqual(['HOLD a']), WAIT);
      proxy.dropNextReply();
      client.socket.write('HOLD b\r\n');
      await vi.waitFor(() => expect(target.commands).toEqual(['HOLD a', 'HOLD b']), WAIT);
      target.accepted[0]!.write('$1\r\nA\r\n$1\r\nB\r\n'); // the replies to a and b, in one chunk
      target.accepted[0]!.write('+C\r\n');
      await vi.waitFor(() => expect(client.read()).toBe('$1\r\nA\r\n+C\r\n'), WAIT);
    });

    it('lets RESP3 pushes through: they answer no command', async () => {
      const { target, proxy } = await setup(scripted({ GET: '>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nV\r\n' }));
      const client = await connectClient(proxy.port);
      proxy.dropNextReply();
      client.socket.write('GET k\r\n');
      await vi.waitFor(() => expect(target.commands).toEqual(['GET k']), WAIT);
      await vi.waitFor(() => expect(client.read()).toBe('>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n'), WAIT);
      client.socket.write('GET k\r\n');
      await vi.waitFor(() => expect(client.read()).toMatch(/\$1\r\nV\r\n$/), WAIT);
    });

    it('understands RESP arrays from the client as well as inline commands', async () => {
      // The echo target answers each RESP array with itself, which is also a valid RESP reply.
      const { target, proxy } = await setup();
      const client = await connectClient(proxy.port);
      proxy.dropNextReply();
      client.socket.write('*2\r\n$3\r\nGET\r\n$1\r\na\r\n');
      await vi.waitFor(() => expect(target.read()).toBe('*2\r\n$3\r\nGET\r\n$1\r\na\r\n'), WAIT);
      client.socket.write('*1\r\n$4\r\nPING\r\n');
      await vi.waitFor(() => expect(client.read()).toBe('*1\r\n$4\r\nPING\r\n'), WAIT);
    });

    it('on traffic that is not RESP, drops the next chunk from the target', async () => {
      const { target, proxy } = await setup();
      const client = await connectClient(proxy.port);
      client.socket.write('hello'); // the echo target is not a RESP server
      await vi.waitFor(() => expect(client.read()).toBe('hello'), WAIT);
      proxy.dropNextReply();
      client.socket.write('dropped');
      await vi.waitFor(() => expect(target.read()).toBe('hellodropped'), WAIT);
      client.socket.write('kept');
      await vi.waitFor(() => expect(client.read()).toBe('hellokept'), WAIT);
    });
  });

  it('passThrough() clears every fault, including replies already marked for dropping', async () => {
    const { target, proxy } = await setup(scripted({ PING: '+PONG\r\n' }));
    const first = await connectClient(proxy.port);
    proxy.dropNextReply();
    first.socket.write('HOLD x\r\n');
    await vi.waitFor(() => expect(target.commands).toEqual(['HOLD x']), WAIT);

    proxy.delay(60_000);
    proxy.fragment();
    proxy.blackhole();
    proxy.refuseNewConnections();
    proxy.dropNextReply();
    proxy.passThrough();

    target.accepted[0]!.write('+X\r\n');
    await vi.waitFor(() => expect(first.read()).toBe('+X\r\n'), WAIT);
    const second = await connectClient(proxy.port);
    second.socket.write('PING\r\n');
    await vi.waitFor(() => expect(second.read()).toBe('+PONG\r\n'), WAIT);
    const pingReads = target.reads.filter((r) => r.bytes.toString().includes('G'));
    expect(pingReads.some((r) => r.bytes.length > 1)).toBe(true);
    expect(target.accepted).toHaveLength(2);
  });

  it('close() closes every socket on both sides and stops listening', async () => {
    const { target, proxy } = await setup();
    const a = await connectClient(proxy.port);
    const b = await connectClient(proxy.port);
    a.socket.write('a');
    b.socket.write('b');
    await vi.waitFor(() => expect(target.accepted).toHaveLength(2), WAIT);
    proxy.blackhole(); // a write pending in a fault must not hold close() up
    a.socket.write('pending');

    await proxy.close();
    await vi.waitFor(() => expect(a.events).toContain('close'), WAIT);
    await vi.waitFor(() => expect(b.events).toContain('close'), WAIT);
    await vi.waitFor(() => expect(target.accepted.every((s) => s.destroyed)).toBe(true), WAIT);
    expect(proxy.connections).toBe(0);
    expect(await connectionRefused(proxy.port)).toBe('ECONNREFUSED');
    await proxy.close(); // a second close is harmless
  });

  it('is released by await using', async () => {
    const target = await startTarget();
    targets.push(target);
    let port = 0;
    {
      await using proxy = await faultProxy({ target: { port: target.port } });
      port = proxy.port;
      const client = await connectClient(port);
      client.socket.write('hi');
      await vi.waitFor(() => expect(client.read()).toBe('hi'), WAIT);
    }
    expect(await connectionRefused(port)).toBe('ECONNREFUSED');
  });

  it('survives clients that reset and targets that are down, without throwing', async () => {
    const { target, proxy } = await setup();
    const rude = await connectClient(proxy.port);
    rude.socket.write('x');
    await vi.waitFor(() => expect(target.accepted).toHaveLength(1), WAIT);
    rude.socket.resetAndDestroy();
    await vi.waitFor(() => expect(target.accepted[0]!.destroyed).toBe(true), WAIT);

    const downTarget = await startTarget();
    await downTarget.close();
    const orphan = await faultProxy({ target: { port: downTarget.port } });
    proxies.push(orphan);
    const client = await connectClient(orphan.port);
    await vi.waitFor(() => expect(client.events).toContain('close'), WAIT);
    await vi.waitFor(() => expect(orphan.connections).toBe(0), WAIT);

    const polite = await connectClient(proxy.port);
    polite.socket.write('still here');
    await vi.waitFor(() => expect(polite.read()).toBe('still here'), WAIT);
  });

  it('rejects a bad target port and a negative delay', async () => {
    await expect(faultProxy({ target: { port: 0 } })).rejects.toThrow(RangeError);
    await expect(faultProxy({ target: { port: 70000 } })).rejects.toThrow(RangeError);
    const { proxy } = await setup();
    expect(() => proxy.delay(-1)).toThrow(RangeError);
    expect(() => proxy.delay(Number.NaN)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------

const missing = redisServerMissing();

describe.skipIf(missing !== null)(`faultProxy with ioredis and redis-server${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('dropNextReply on INCR: the counter is incremented but the client times out', async () => {
    await using proxy = await faultProxy({ target: { port: redis.port } });
    const client = new Redis({
      host: proxy.host,
      port: proxy.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      retryStrategy: () => null,
      autoResendUnfulfilledCommands: false,
    });
    const direct = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      await direct.connect();
      await direct.del('fault-proxy:counter');
      expect(await client.ping()).toBe('PONG');

      proxy.dropNextReply();
      await expect(client.incr('fault-proxy:counter')).rejects.toThrow(/timed out/i);
      expect(await direct.get('fault-proxy:counter')).toBe('1');
    } finally {
      client.disconnect();
      direct.disconnect();
    }
  });

  it('dropNextReply then cut: ioredis resends the unanswered INCR after reconnecting, so it is applied twice', async () => {
    await using proxy = await faultProxy({ target: { port: redis.port } });
    const client = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true, retryStrategy: () => 10 });
    client.on('error', () => {}); // the reset below is the point of the test
    const direct = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      await direct.connect();
      await direct.del('fault-proxy:resent');

      proxy.dropNextReply();
      const incr = client.incr('fault-proxy:resent');
      await vi.waitFor(async () => expect(await direct.get('fault-proxy:resent')).toBe('1'), WAIT);
      await proxy.cut({ mode: 'rst' });
      expect(await incr).toBe(2);
      expect(await direct.get('fault-proxy:resent')).toBe('2');
    } finally {
      client.disconnect();
      direct.disconnect();
    }
  });
});
