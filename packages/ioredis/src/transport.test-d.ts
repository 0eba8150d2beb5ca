import type { Transport } from '@ferrite/core';
import { Cluster, Redis } from 'ioredis';
import { expectTypeOf, test } from 'vitest';
import { ioredisTransport, type IoredisTransportOptions } from './index.js';

test('takes any ioredis client, whatever reply mapping its type carries', () => {
  expectTypeOf(ioredisTransport(new Redis({ lazyConnect: true }))).toEqualTypeOf<Transport>();
  expectTypeOf(ioredisTransport(new Redis({ lazyConnect: true, protocol: 3, replyMapping: 'resp3', stringNumbers: true }))).toEqualTypeOf<Transport>();
  expectTypeOf(ioredisTransport(new Cluster([], { lazyConnect: true, redisOptions: { replyMapping: 'resp3' } }))).toEqualTypeOf<Transport>();
});

test('accepts only the documented options', () => {
  expectTypeOf<IoredisTransportOptions>().toEqualTypeOf<{ readonly closeClient?: boolean; readonly readFrom?: 'primary' | 'replica' }>();
  // @ts-expect-error: not a client
  ioredisTransport({});
});
