import { memoryTransport, startEmulator, type RunningEmulator } from '@ferrite/emulator';
import { redisServerMissing, startRedisCluster } from '@ferrite/testkit';
import { readFileSync } from 'node:fs';
import { planConnection } from './options.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, createClient, DEFAULT_PORT, FerriteConnectionError, FerriteTimeoutError, FerriteValidationError, Redis, type CreateClientOptions } from './index.js';

let counter = 0;
const unique = (prefix: string) => `client:${prefix}:${++counter}`;

describe('createClient over TCP', () => {
  let server: RunningEmulator;
  let secured: RunningEmulator;
  beforeAll(async () => {
    server = await startEmulator();
    secured = await startEmulator({ password: 's3cret/:@' });
  });
  afterAll(async () => {
    await server?.close();
    await secured?.close();
  });

  it('runs the README’s first program', async () => {
    const printed: unknown[][] = [];
    const console = { log: (...values: unknown[]) => void printed.push(values) };
    {
      await using client = createClient({ url: server.url });
      // first program: begin
      await client.redis.set('greeting', 'hello'); // any standard command, typed by ioredis
      await client.vector.ensureIndex('docs', { dim: 3 });
      await client.vector.add('docs', 'doc:1', [0.1, 0.2, 0.3], { title: 'Hello' });
      const [hit] = await client.vector.search('docs', [0.1, 0.2, 0.25], { topK: 1 });
      console.log(hit?.id, hit?.metadata.title); // doc:1 Hello
      const answer = await client.semantic.cache('llm').getOrSet('What is Ferrite?', () => 'A Redis-compatible server.');
      console.log(answer); // A Redis-compatible server.
      // first program: end
      expect(await client.send('GET', 'greeting')).toBe('hello');
    }
    expect(printed).toEqual([['doc:1', 'Hello'], ['A Redis-compatible server.']]);
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const marker = (edge: string) => `// first program: ${edge}`;
    const body = source.slice(source.indexOf(`${marker('begin')}\n`) + marker('begin').length + 1, source.indexOf(`      ${marker('end')}`));
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(body.replace(/^ {6}/gm, ''));
  });

  it('takes the password and database from the URL (percent-encoded), and explicit options over it', async () => {
    const key = unique('db');
    const fromUrl = createClient({ url: `redis://:${encodeURIComponent('s3cret/:@')}@${secured.host}:${secured.port}/3` });
    await fromUrl.send('SET', key, 'in db 3');
    const probe = new Redis({ host: secured.host, port: secured.port, password: 's3cret/:@', db: 3 });
    expect(await probe.get(key)).toBe('in db 3');
    await probe.select(0);
    expect(await probe.get(key)).toBeNull();

    const explicit = createClient({ url: `redis://:wrong@${secured.host}:${secured.port}/0`, password: 's3cret/:@', db: 5 });
    await explicit.redis.set(key, 'in db 5');
    await probe.select(5);
    expect(await probe.get(key)).toBe('in db 5');
    expect(await explicit.send('GET', key)).toBe('in db 5'); // the transport's connection is in db 5 too

    const byHost = createClient({ host: secured.host, port: secured.port, password: 's3cret/:@', db: 3 });
    expect(await byHost.semantic.get(unique('ns'), 'nothing here')).toBeNull();
    expect(await byHost.redis.get(key)).toBe('in db 3');
    probe.disconnect();
    await Promise.all([fromUrl.close(), explicit.close(), byHost.close()]);
  });

  it('applies timeout to every call, and withOptions views keep redis and the plugins', async () => {
    const client = createClient({ url: server.url, timeout: 150 });
    const started = Date.now();
    await expect(client.send('DEBUG', 'SLEEP', '1')).rejects.toBeInstanceOf(FerriteTimeoutError);
    expect(Date.now() - started).toBeLessThan(900);
    const patient = client.withOptions({ timeout: 5000 });
    expect(patient.redis).toBe(client.redis);
    expect(await patient.send('DEBUG', 'SLEEP', '0.3')).toBe('OK');
    const hurried = createClient({ url: server.url }).withOptions({ timeout: 150 });
    await expect(hurried.crdt.counter(unique('slow')).get().then(() => hurried.send('DEBUG', 'SLEEP', '1'))).rejects.toBeInstanceOf(FerriteTimeoutError);
    expect(hurried.withOptions({ timeout: 1000 }).redis).toBe(hurried.redis);
    await Promise.all([client.close(), hurried.close()]);
  });

  it('closes the ioredis client it made with itself, and only then', async () => {
    const client = createClient({ url: server.url });
    expect(client.redis).toBeInstanceOf(Redis);
    expect(client.redis.status).toBe('wait'); // lazy: nothing used it yet
    await client.redis.ping();
    await client.close();
    expect(client.redis.status).toBe('end');
    await expect(client.send('PING')).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('when nothing listens: FerriteTimeoutError while ioredis reconnects, FerriteConnectionError once it gives up', async () => {
    const retrying = createClient({ url: 'redis://127.0.0.1:1', timeout: 300 });
    await expect(retrying.vector.list()).rejects.toBeInstanceOf(FerriteTimeoutError);
    const givingUp = createClient({ url: 'redis://127.0.0.1:1', redisOptions: { retryStrategy: () => null } });
    await expect(givingUp.vector.list()).rejects.toBeInstanceOf(FerriteConnectionError);
    await Promise.all([retrying.close(), givingUp.close()]);
  });
});

describe('createClient options', () => {
  it('defaults to redis://localhost:6380 and connects lazily', async () => {
    const client = createClient();
    expect(client.redis.options).toMatchObject({ host: 'localhost', port: 6380 });
    expect(client.redis.options.tls).toBeUndefined();
    expect(client.redis.status).toBe('wait');
    await client.close();
  });

  it('turns on TLS for rediss:// or tls: true, and passes redisOptions through', async () => {
    const fromUrl = createClient({ url: 'rediss://cache.example:6390' });
    expect(fromUrl.redis.options).toMatchObject({ host: 'cache.example', port: 6390, tls: {} });
    const explicit = createClient({ host: 'cache.example', tls: { servername: 'x' }, redisOptions: { connectTimeout: 1234 } });
    expect(explicit.redis.options).toMatchObject({ host: 'cache.example', port: 6380, tls: { servername: 'x' }, connectTimeout: 1234 });
    await Promise.all([fromUrl.close(), explicit.close()]);
  });

  it('uses a given transport as is, with no ioredis client', async () => {
    const client = createClient({ transport: memoryTransport(), semantic: { threshold: 1, ttl: 60 } });
    expect(client.redis).toBeUndefined();
    expect(client.semantic.cache('ns')).toMatchObject({ threshold: 1, ttl: 60 });
    await client.vector.createIndex('idx', { dim: 2 });
    expect(await client.vector.list()).toEqual(['idx']);
    {
      await using scoped = client;
      expect(await scoped.send('PING')).toBe('PONG');
    }
    await expect(client.send('PING')).rejects.toBeInstanceOf(FerriteConnectionError);
  });

  it('refuses options that contradict each other, naming the option', () => {
    const cases: Array<[string, unknown]> = [
      ['url', { url: 'redis://a:1', host: 'b' }],
      ['url', { url: 'http://example.com' }],
      ['url', { url: 'not a url' }],
      ['url', { url: 'redis://a:1/zero' }],
      ['port', { port: 70000 }],
      ['port', { host: 'a', port: 1.5 }],
      ['host', { host: '' }],
      ['db', { db: -1 }],
      ['password', { password: 42 }],
      ['transport', { transport: memoryTransport(), password: 'x' }],
      ['transport', { transport: {} }],
      ['cluster', { cluster: [] }],
      ['cluster', { cluster: ['redis://a:1'], db: 2 }],
      ['cluster', { cluster: ['redis://a:1/2'] }],
      ['cluster[1]', { cluster: ['redis://a:1', 'ftp://b'] }],
      ['threshold', { transport: memoryTransport(), semantic: { threshold: 2 } }],
      ['timeout', { transport: memoryTransport(), timeout: -1 }],
      ['maxAttempts', { transport: memoryTransport(), maxAttempts: 0 }],
    ];
    for (const [field, options] of cases) {
      let error: unknown;
      try {
        createClient(options as CreateClientOptions);
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(FerriteValidationError);
      expect((error as FerriteValidationError).field).toBe(field);
    }
  });
});

const skip = redisServerMissing();

describe.skipIf(Boolean(skip))('createClient({ cluster })', () => {
  let nodes: Awaited<ReturnType<typeof startRedisCluster>>;
  beforeAll(async () => {
    nodes = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await nodes?.stop();
  });

  it('makes an ioredis Cluster from the node URLs and sends through it', async () => {
    const client = createClient({ cluster: nodes.nodes.slice(0, 1).map((node) => `redis://${node.host}:${node.port}`) });
    expect(client.redis).toBeInstanceOf(Cluster);
    const keys = Array.from({ length: 20 }, (_, i) => unique(`spread-${i}`));
    for (const key of keys) await client.redis.set(key, key);
    for (const key of keys) expect(await client.send('GET', key)).toBe(key);
    await client.close();
    expect(client.redis.status).toBe('end');
  });
});

describe('default port', () => {
  it('is DEFAULT_PORT (6380) however the server is addressed', async () => {
    const byUrl = createClient({ url: 'redis://127.0.0.1' });
    const byHost = createClient({ host: '127.0.0.1' });
    try {
      expect(DEFAULT_PORT).toBe(6380);
      expect((byUrl.redis as Redis).options.port).toBe(DEFAULT_PORT);
      expect((byHost.redis as Redis).options.port).toBe(DEFAULT_PORT);
      expect(planConnection({ cluster: ['redis://127.0.0.1'] })).toMatchObject({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: DEFAULT_PORT }] });
    } finally {
      await Promise.all([byUrl.close(), byHost.close()]);
    }
  });
});
