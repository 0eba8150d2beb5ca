import type { Transport } from '@ferrite/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createClient,
  decodeSearchReply,
  jsonCodec,
  type ChangeEvent,
  type ChangeFeed,
  type Cluster,
  type CreateClientOptions,
  type Ferrite,
  type Redis,
  type Reply,
  type SearchHit,
  type SemanticCache,
  type SemanticMatch,
  type VectorIndexInfo,
} from './index.js';

declare const transport: Transport;
declare const someOptions: CreateClientOptions;

describe('createClient types', () => {
  it('types redis after the options: Redis, Cluster, or undefined with a transport', () => {
    expectTypeOf(createClient().redis).toEqualTypeOf<Redis>();
    expectTypeOf(createClient({ url: 'redis://localhost:6380/1' }).redis).toEqualTypeOf<Redis>();
    expectTypeOf(createClient({ host: 'localhost', port: 6380, password: 'pw', db: 0 }).redis).toEqualTypeOf<Redis>();
    expectTypeOf(createClient({ cluster: ['redis://a:6379'] }).redis).toEqualTypeOf<Cluster>();
    expectTypeOf(createClient({ transport }).redis).toEqualTypeOf<undefined>();
    expectTypeOf(createClient(someOptions).redis).toEqualTypeOf<Redis | Cluster | undefined>();
    expectTypeOf(createClient()).toExtend<Ferrite<Redis>>();
    expectTypeOf(createClient()).toExtend<AsyncDisposable>();
  });

  it('refuses contradicting options at compile time', () => {
    // @ts-expect-error url or host, not both
    createClient({ url: 'redis://a:1', host: 'b' });
    // @ts-expect-error a transport is already connected
    createClient({ transport, password: 'pw' });
    // @ts-expect-error a cluster has only database 0
    createClient({ cluster: ['redis://a:1'], db: 2 });
  });

  it('types what the rewritten seed examples get back', () => {
    const client = createClient();
    expectTypeOf(client.redis.get('user:1:name')).resolves.toEqualTypeOf<string | null>();
    expectTypeOf(client.redis.hgetall('user:1')).resolves.toEqualTypeOf<Record<string, string>>();
    expectTypeOf(client.redis.rpop('queue:jobs')).resolves.toEqualTypeOf<string | null>();
    expectTypeOf(client.redis.zrevrange('leaderboard', 0, 9, 'WITHSCORES')).resolves.toEqualTypeOf<string[]>();
    expectTypeOf(client.send('VECTOR.SEARCH', 'embeddings', Buffer.alloc(12), 'TOP_K', 10)).resolves.toEqualTypeOf<Reply>();
    expectTypeOf(decodeSearchReply).returns.toEqualTypeOf<SearchHit[]>();
    expectTypeOf(client.vector.search('products', [0.1], { topK: 5 })).resolves.toEqualTypeOf<SearchHit[]>();
    expectTypeOf(client.vector.info('products')).resolves.toEqualTypeOf<VectorIndexInfo>();
    expectTypeOf(client.vector.delete('products', 'sku:1')).resolves.toEqualTypeOf<number>();
    expectTypeOf(client.semantic.get('llm:cache', 'What is Ferrite?')).resolves.toEqualTypeOf<string | null>();
    expectTypeOf(client.semantic.match('llm:cache', 'What is Ferrite?')).resolves.toEqualTypeOf<SemanticMatch | null>();
    expectTypeOf(client.semantic.cache('llm')).toEqualTypeOf<SemanticCache<string>>();
    expectTypeOf(client.semantic.cache('llm', { codec: jsonCodec<{ a: number }>() })).toEqualTypeOf<SemanticCache<{ a: number }>>();
    expectTypeOf(client.semantic.delete('llm:cache')).resolves.toEqualTypeOf<number>();
    expectTypeOf(client.crdt.counter('views').incr(5)).resolves.toEqualTypeOf<number>();
    expectTypeOf(client.crdt.counter('views', { bigint: true }).get()).resolves.toEqualTypeOf<bigint>();
    expectTypeOf(client.crdt.set('tags').add('a', 'b')).resolves.toEqualTypeOf<number>();
    expectTypeOf(client.crdt.set('tags').members()).resolves.toEqualTypeOf<string[]>();
    expectTypeOf(client.cdc.subscribe('user:*')).resolves.toEqualTypeOf<ChangeFeed<string>>();
    expectTypeOf<ChangeEvent['value']>().toEqualTypeOf<string | null>();
    expectTypeOf(client.withOptions({ timeout: 100 }).redis).toEqualTypeOf<Redis>();
    expectTypeOf(createClient({ transport }).withOptions({}).redis).toEqualTypeOf<undefined>();
  });
});
