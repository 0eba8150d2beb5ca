import type { Transport } from '@ferrite/core';
import type { ReadFrom } from '@ferrite/core/transport';
import type { Cluster, Redis } from 'ioredis';
import { clusterTransport } from './cluster.js';
import { singleNodeTransport } from './single.js';

/** Options of `ioredisTransport`. */
export interface IoredisTransportOptions {
  /**
   * Close the client passed in when the transport closes. Default `false`: the client stays
   * the caller's to close.
   */
  readonly closeClient?: boolean;
  /**
   * On a `Cluster`: `'replica'` sends commands that only read (definitions marked `readonly`,
   * standard reads such as `GET`) to a replica of their shard. Default `'primary'`. The cluster
   * policy (routing, MOVED, ASK, CROSSSLOT) is described in the README.
   */
  readonly readFrom?: ReadFrom;
}

/**
 * A Ferrite transport over an ioredis 6 `Redis` or `Cluster` client. Deadlines belong to the
 * client built on it: `createFerrite({ transport, timeout })`.
 *
 * @example
 * const ferrite = createFerrite({ transport: ioredisTransport(new Redis(url)) });
 */
export function ioredisTransport(client: Redis | Cluster, options: IoredisTransportOptions = {}): Transport {
  const ownership = { closeClient: options.closeClient === true };
  return client.isCluster ? clusterTransport(client as Cluster, ownership, options.readFrom) : singleNodeTransport(client as Redis, ownership);
}
