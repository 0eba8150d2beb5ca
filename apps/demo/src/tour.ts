/**
 * A tour of the Ferrite SDK: standard commands, vector search with a typed filter, a semantic
 * cache in front of a slow function, CRDT counters and sets shared by two clients, and a live change
 * feed of the tour's own writes. Swapping the driver changes one line of `connect`, nothing else.
 */
import { cdc } from '@ferrite/cdc';
import { createFerrite, type Transport } from '@ferrite/core';
import { crdt, newCrdtOpId } from '@ferrite/crdt';
import { startEmulator } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { semantic } from '@ferrite/semantic';
import { glideTransport } from '@ferrite/valkey-glide';
import { vector } from '@ferrite/vector';
import { GlideClient, Logger, type GlideClientConfiguration } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { embed } from './embed.js';

type Product = { name: string; category: string; price: number };

const products: Array<{ id: string } & Product> = [
  { id: 'sku:1001', name: 'red running shoes', category: 'footwear', price: 89 },
  { id: 'sku:1002', name: 'blue winter jacket', category: 'outerwear', price: 149 },
  { id: 'sku:1003', name: 'trail running shoes for mud', category: 'footwear', price: 119 },
  { id: 'sku:1004', name: 'light rain jacket', category: 'outerwear', price: 79 },
  { id: 'sku:1005', name: 'wool hiking socks', category: 'footwear', price: 15 },
];

export type Driver = 'ioredis' | 'node-redis' | 'valkey-glide';

export interface TourOptions {
  /** A Ferrite server; without one the tour starts an emulator on a free loopback port. */
  readonly url?: string;
  readonly driver?: Driver;
  readonly log?: (line: string) => void;
}

async function connect(url: string, driver: Driver): Promise<Transport> {
  if (driver === 'valkey-glide') {
    const { hostname, port } = new URL(url);
    // GLIDE's deadline above Ferrite's (10 s by default, plus a change feed's blocking wait).
    const configuration: GlideClientConfiguration = { addresses: [{ host: hostname, port: Number(port || 6379) }], requestTimeout: 30_000 };
    Logger.init('error');
    return glideTransport(await GlideClient.createClient(configuration), { configuration, closeClient: true });
  }
  if (driver === 'node-redis') {
    const client = createClient({ url });
    await client.connect();
    return nodeRedisTransport(client, { closeClient: true });
  }
  return ioredisTransport(new Redis(url), { closeClient: true });
}

export async function tour(options: TourOptions = {}): Promise<void> {
  const { driver = 'ioredis' } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const emulator = options.url ? undefined : await startEmulator();
  const url = options.url ?? emulator!.url;
  log(`Ferrite at ${url}${emulator ? ' (emulator)' : ''}, driver ${driver}\n`);

  const ferrite = createFerrite({ transport: await connect(url, driver), plugins: [vector(), semantic(), crdt(), cdc()] });
  try {
    log('Standard commands work as on Redis:');
    await ferrite.send('HSET', 'user:42', 'name', 'Bob', 'role', 'admin');
    log(`  HGET user:42 name → ${String(await ferrite.send('HGET', 'user:42', 'name'))}`);

    log('\nVector search (score is a cosine distance: lower is closer):');
    const catalogue = ferrite.vector.index<Product>('demo:products');
    await catalogue.ensure({ dim: 64, distance: 'COSINE' });
    const { added } = await catalogue.addMany(products.map(({ id, ...meta }) => ({ id, vector: embed(meta.name), metadata: meta })));
    log(`  indexed ${added} products`);
    for (const hit of await catalogue.search(embed('shoes for running'), { topK: 3 })) {
      log(`  ${hit.id}  ${hit.score.toFixed(4)}  ${hit.metadata.name}`);
    }
    log('  footwear under 100:');
    const cheap = await catalogue.search(embed('shoes for running'), {
      topK: 3,
      filter: (f) => f.eq('category', 'footwear').and(f.lt('price', 100)),
    });
    for (const hit of cheap) log(`  ${hit.id}  ${hit.score.toFixed(4)}  ${hit.metadata.name} (${hit.metadata.price})`);

    log('\nSemantic cache in front of a slow "LLM":');
    const llm = ferrite.semantic.cache('demo:llm', { threshold: 0.8 });
    const ask = llm.wrap(async (prompt: string) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return `an answer to "${prompt}"`;
    });
    for (const prompt of ['What is Ferrite?', 'what is ferrite', 'How do I install it?']) {
      const started = performance.now();
      const answer = await ask(prompt);
      log(`  ${prompt.padEnd(22)} → ${answer} (${(performance.now() - started).toFixed(0)} ms)`);
    }
    const stats = await llm.stats();
    log(`  hits ${stats.process.hits}, misses ${stats.process.misses}, computations saved ${stats.process.computationsSaved}`);

    log('\nCRDTs: a page-view counter and a tag set shared by two clients:');
    const other = createFerrite({ transport: await connect(url, driver), plugins: [crdt()] });
    try {
      const views = ferrite.crdt.counter('demo:page:views');
      const before = await views.get();
      // Each increment carries its own op-id, so a retry after a lost reply never counts twice.
      await Promise.all([
        ...Array.from({ length: 10 }, () => views.incr()),
        ...Array.from({ length: 10 }, () => other.crdt.counter('demo:page:views').incr()),
      ]);
      log(`  10 views from each client: ${before} → ${await views.get()}`);
      // A visit known by its own id (a queue message, say) counts once, whoever sends it, however often.
      const visit = `demo:visit:${newCrdtOpId()}`;
      await views.incr(1, { opId: visit });
      await other.crdt.counter('demo:page:views').incr(1, { opId: visit });
      log(`  one visit sent by both clients with the same op-id: ${await views.get()}`);

      const tags = ferrite.crdt.set<'fast' | 'typed' | 'retro'>('demo:tags');
      await Promise.all([tags.add('fast', 'typed'), other.crdt.set<'fast' | 'typed' | 'retro'>('demo:tags').add('typed', 'retro')]);
      await tags.remove('retro');
      log(`  tags: ${(await tags.members()).sort().join(', ')} (has "fast": ${await tags.has('fast')})`);
      await tags.remove('fast', 'typed');
    } finally {
      await other.close();
    }
    log('\nChange feed of the cart writes below, live (resumable from a saved checkpoint):');
    await using feed = await ferrite.cdc.subscribe('demo:cart:*');
    const shown = (async () => {
      for await (const event of feed) {
        log(`  #${event.id} ${event.op.padEnd(6)} ${event.key}${event.value === null ? '' : ` = ${event.value}`}`);
        if (event.op === 'DEL') break;
      }
    })();
    await ferrite.send('SET', 'demo:cart:7', 'socks');
    await ferrite.send('APPEND', 'demo:cart:7', ',shoes');
    await ferrite.send('EXPIRE', 'demo:cart:7', '60');
    await ferrite.send('DEL', 'demo:cart:7');
    await shown;
    log(`  checkpoint ${feed.checkpoint}: subscribe with { from: checkpoint } to resume after it`);

    await ferrite.vector.dropIndex('demo:products');
    await ferrite.semantic.delete('demo:llm');
  } finally {
    await ferrite.close();
    await emulator?.close();
  }
}

