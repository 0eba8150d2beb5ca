/**
 * The Python thin client's usage examples, rewritten in TypeScript for the README, run against
 * the emulator over TCP: through the ioredis client `createClient` makes (RESP3 and RESP2), and
 * through `createClient({ transport: nodeRedisTransport(...) })` (RESP3 and RESP2). Examples that
 * use `client.redis` (ioredis' typed standard commands) need the ioredis client and run on the
 * first two only. Each example's body sits between markers and must appear verbatim in the README.
 */
import { nodeRedisTransport } from '@ferrite/node-redis';
import { startEmulator, type RunningEmulator } from '@ferrite/emulator';
import { readFileSync } from 'node:fs';
import { createClient as createNodeRedisClient } from 'redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, decodeSearchReply, encodeVector, type Ferrite, type Redis } from './index.js';

/** A stand-in for an embedding model, as in the README. */
// example: embedding begin
// A stand-in for your embedding model: 384 dimensions, one per hashed word.
function generateEmbedding(text: string): Float32Array {
  const words = text.toLowerCase().split(/\W+/).filter(Boolean);
  const slot = (word: string) => [...word].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) % 384, 7);
  return Float32Array.from({ length: 384 }, (_, d) => words.filter((word) => slot(word) === d).length);
}
// example: embedding end

type Printed = unknown[];

/** Each example as a function of the client and a `console` that records what it prints. */
const examples = {
  async standard(client: Ferrite<Redis>, console: { log(value: unknown): void }) {
    // example: standard begin
    await client.redis.set('user:1:name', 'Alice');
    const name = await client.redis.get('user:1:name'); // 'Alice'

    await client.redis.hset('user:1', { name: 'Alice', email: 'alice@example.com' });
    const user = await client.redis.hgetall('user:1'); // { name: 'Alice', email: 'alice@example.com' }

    await client.redis.lpush('queue:jobs', 'job-123', 'job-456');
    const job = await client.redis.rpop('queue:jobs'); // 'job-123'

    await client.redis.zadd('leaderboard', 100, 'alice', 95, 'bob');
    const top = await client.redis.zrevrange('leaderboard', 0, 9, 'WITHSCORES'); // ['alice', '100', 'bob', '95']
    // example: standard end
    console.log([name, user, job, top]);
  },

  async raw(client: Ferrite, console: { log(value: unknown): void }) {
    // example: raw begin
    // Create a vector index
    await client.send('VECTOR.INDEX.CREATE', 'embeddings', 'DIM', 3, 'DISTANCE', 'COSINE', 'TYPE', 'HNSW');

    // Add a vector
    const vector = [0.1, 0.2, 0.3]; // your embedding
    const blob = encodeVector(vector); // little-endian float32, as struct.pack writes it
    await client.send('VECTOR.ADD', 'embeddings', 'doc:1', blob);

    // Search vectors
    const results = await client.send('VECTOR.SEARCH', 'embeddings', blob, 'TOP_K', 10);
    console.log(decodeSearchReply(results)); // [{ id: 'doc:1', score: 0, metadata: {} }]
    // example: raw end
  },

  async together(client: Ferrite<Redis>, console: { log(value: unknown): void }) {
    // example: together begin
    // ── Standard Redis commands (ioredis, typed) ──
    await client.redis.set('app:version', '2.1.0');
    await client.redis.hset('user:42', { name: 'Bob', role: 'admin' });

    // ── Vector search ──
    await client.vector.createIndex('products', { dim: 384, distance: 'COSINE' });

    await client.vector.add('products', 'sku:1001', generateEmbedding('Red running shoes'), {
      name: 'Red running shoes',
      category: 'footwear',
    });
    await client.vector.add('products', 'sku:1002', generateEmbedding('Blue winter jacket'), {
      name: 'Blue winter jacket',
      category: 'outerwear',
    });

    const query = generateEmbedding('lightweight shoes for jogging');
    const results = await client.vector.search('products', query, { topK: 5 });
    for (const r of results) {
      console.log(`  ${r.id} (score: ${r.score.toFixed(4)})`);
    }

    // ── Semantic caching ──
    await client.semantic.set('llm:cache', 'What is Ferrite?', 'Ferrite is a Redis-compatible ...', { ttl: 3600 });
    const cached = await client.semantic.get('llm:cache', 'what is ferrite');
    if (cached) {
      console.log(`Cache hit: ${cached}`);
    }

    await client.close();
    // example: together end
  },

  async concurrent(client: Ferrite, console: { log(value: unknown): void }) {
    // example: async begin
    // Every method returns a promise: there is no separate async client.
    await client.vector.createIndex('docs', { dim: 384 });
    await client.vector.add('docs', 'doc:1', generateEmbedding('Ferrite speaks the Redis protocol'));
    await client.semantic.set('llm:cache', 'What is Ferrite?', 'A Redis-compatible server.');

    // Independent calls run concurrently over the same connection.
    const [hits, answer] = await Promise.all([
      client.vector.search('docs', generateEmbedding('redis protocol'), { topK: 10 }),
      client.semantic.get('llm:cache', 'What is Ferrite?', { threshold: 0.85 }),
    ]);
    console.log([hits.map((hit) => hit.id), answer]); // [['doc:1'], 'A Redis-compatible server.']
    // example: async end
  },

  async methods(client: Ferrite, console: { log(...values: unknown[]): void }) {
    // example: methods begin
    await client.vector.createIndex('catalog', { dim: 3, distance: 'COSINE', type: 'HNSW' }); // vector_create
    await client.vector.add('catalog', 'sku:1', [0.1, 0.2, 0.3], { category: 'footwear' }); // vector_add
    const hits = await client.vector.search('catalog', [0.1, 0.2, 0.3], { topK: 10, filter: "category = 'footwear'" }); // vector_search
    console.log(hits); // [{ id: 'sku:1', score: 0, metadata: { category: 'footwear' } }]
    await client.vector.delete('catalog', 'sku:1'); // vector_delete
    await client.vector.dropIndex('catalog'); // vector_index_drop

    await client.semantic.set('faq', 'What is Ferrite?', 'A Redis-compatible server.', { ttl: 3600 }); // semantic_set
    console.log(await client.semantic.get('faq', 'what is ferrite', { threshold: 0.85 })); // semantic_get: A Redis-compatible server.
    await client.semantic.delete('faq'); // semantic_delete

    console.log(await client.crdt.counter('page:views').incr(5)); // crdt_counter_incr: 5
    console.log(await client.crdt.counter('page:views').get()); // crdt_counter_get: 5
    await client.crdt.set('tags').add('redis', 'vector'); // crdt_set_add
    console.log((await client.crdt.set('tags').members()).sort()); // crdt_set_members: ['redis', 'vector']

    await using feed = await client.cdc.subscribe('user:*'); // cdc_subscribe
    await client.send('SET', 'user:1', 'Alice');
    for await (const event of feed) {
      console.log(event.op, event.key, event.value); // SET user:1 Alice
      break;
    }
    // example: methods end
  },

  async pooling(client: Ferrite, console: { log(value: unknown): void }) {
    await client.vector.createIndex('embeddings', { dim: 384 });
    await client.vector.add('embeddings', 'doc:1', generateEmbedding('connection pooling in Ferrite'));
    const queryVec = generateEmbedding('pooling connections');
    // example: pooling begin
    // One client for the whole process: concurrent requests share its connection (commands are
    // pipelined), so there is no pool to size. Create it once, pass it around, close it at exit.
    async function handleRequest(requestId: number) {
      await client.send('SET', `request:${requestId}`, 'value');
      return client.vector.search('embeddings', queryVec, { topK: 5 });
    }
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => handleRequest(i)));
    console.log(answers.length); // 20
    // example: pooling end
    console.log(answers.every((hits) => hits[0]?.id === 'doc:1'));
  },
};

interface Target {
  readonly label: string;
  readonly ioredis: boolean;
  connect(emulator: RunningEmulator): Promise<Ferrite>;
}

const targets: Target[] = [
  { label: 'ioredis RESP3 (url)', ioredis: true, connect: async (server) => createClient({ url: server.url }) },
  { label: 'ioredis RESP2 (host/port)', ioredis: true, connect: async (server) => createClient({ host: server.host, port: server.port, redisOptions: { protocol: 2 } }) },
  ...([3, 2] as const).map((RESP) => ({
    label: `node-redis RESP${RESP} (transport)`,
    ioredis: false,
    connect: async (server: RunningEmulator) => {
      const nodeRedis = createNodeRedisClient({ url: server.url, RESP });
      await nodeRedis.connect();
      return createClient({ transport: nodeRedisTransport(nodeRedis, { closeClient: true }) });
    },
  })),
];

for (const target of targets) {
  describe(`the seed's examples in TypeScript (${target.label})`, () => {
    let server: RunningEmulator;
    let client: Ferrite;
    let printed: Printed;
    const console = { log: (value: unknown) => void printed.push(value) };
    beforeEach(async () => {
      server = await startEmulator();
      client = await target.connect(server);
      printed = [];
    });
    afterEach(async () => {
      await client.close();
      await server.close();
    });

    // Examples using client.redis exist only for the clients createClient connects itself (not a skip: there is no redis).
    if (target.ioredis) it('standard Redis operations through client.redis', async () => {
      await examples.standard(client as Ferrite<Redis>, console);
      expect(printed).toEqual([['Alice', { name: 'Alice', email: 'alice@example.com' }, 'job-123', ['alice', '100', 'bob', '95']]]);
    });

    it('raw Ferrite commands through send', async () => {
      await examples.raw(client, console);
      expect(printed).toEqual([[{ id: 'doc:1', score: 0, metadata: {} }]]);
    });

    if (target.ioredis) it('standard and Ferrite operations together', async () => {
      await examples.together(client as Ferrite<Redis>, console);
      expect(printed).toEqual([expect.stringMatching(/^ {2}sku:1001 \(score: 0\.\d{4}\)$/), expect.stringMatching(/^ {2}sku:1002 /), 'Cache hit: Ferrite is a Redis-compatible ...']);
      // The example closed the client; the data it wrote is on the server.
      const check = createClient({ url: server.url });
      expect(await check.redis.hgetall('user:42')).toEqual({ name: 'Bob', role: 'admin' });
      expect(await check.redis.get('app:version')).toBe('2.1.0');
      await check.close();
    });

    it('every seed method through its TypeScript equivalent', async () => {
      const lines: unknown[][] = [];
      await examples.methods(client, { log: (...values: unknown[]) => void lines.push(values) });
      expect(lines).toEqual([
        [[{ id: 'sku:1', score: 0, metadata: { category: 'footwear' } }]],
        ['A Redis-compatible server.'],
        [5],
        [5],
        [['redis', 'vector']],
        ['SET', 'user:1', 'Alice'],
      ]);
      expect(await client.vector.list()).toEqual([]);
      expect((await client.semantic.stats('faq')).entries).toBe(0);
    });

    it('async usage: concurrent calls on one client', async () => {
      await examples.concurrent(client, console);
      expect(printed).toEqual([[['doc:1'], 'A Redis-compatible server.']]);
    });

    it('connection pooling: one client shared by concurrent requests', async () => {
      await examples.pooling(client, console);
      expect(printed).toEqual([20, true]);
      expect(await client.send('GET', 'request:19')).toBe('value');
    });
  });
}

it('the README shows each example exactly as tested', () => {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const name of ['embedding', 'standard', 'raw', 'together', 'async', 'pooling', 'methods']) {
    const begin = `// example: ${name} begin\n`;
    const start = source.lastIndexOf(begin) + begin.length;
    const body = source.slice(start, source.lastIndexOf(`// example: ${name} end`)).split('\n').slice(0, -1);
    const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    expect(readme, name).toContain(body.map((l) => l.slice(indent)).join('\n'));
  }
});
