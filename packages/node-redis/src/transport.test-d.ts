import type { Transport } from '@ferrite/core';
import { createClient, createCluster, RESP_TYPES } from 'redis';
import { describe, expectTypeOf, it } from 'vitest';
import { nodeRedisTransport, type NodeRedisTransportOptions } from './index.js';

describe('nodeRedisTransport types', () => {
  it('accepts every client node-redis makes, whatever its RESP version, modules or type mapping', () => {
    expectTypeOf(nodeRedisTransport(createClient())).toEqualTypeOf<Transport>();
    expectTypeOf(nodeRedisTransport(createClient({ RESP: 2 }), { closeClient: true })).toEqualTypeOf<Transport>();
    expectTypeOf(nodeRedisTransport(createClient({ RESP: 3 }).withTypeMapping({ [RESP_TYPES.MAP]: Map }))).toEqualTypeOf<Transport>();
    expectTypeOf(nodeRedisTransport(createClient().duplicate({ database: 2 }))).toEqualTypeOf<Transport>();
    expectTypeOf(nodeRedisTransport(createCluster({ rootNodes: [] }))).toEqualTypeOf<Transport>();
    expectTypeOf(nodeRedisTransport(createCluster({ rootNodes: [], RESP: 2 }), { closeClient: false })).toEqualTypeOf<Transport>();
  });

  it('rejects what is not a node-redis client, and unknown options', () => {
    // @ts-expect-error not a client
    nodeRedisTransport({});
    // @ts-expect-error an ioredis-style option
    nodeRedisTransport(createClient(), { keyPrefix: 'app:' });
    expectTypeOf<NodeRedisTransportOptions>().toEqualTypeOf<{ readonly closeClient?: boolean; readonly readFrom?: 'primary' | 'replica' }>();
  });
});
