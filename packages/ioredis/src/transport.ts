import type { Transport } from '@ferrite/core';
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
   * Milliseconds to wait for a reply before rejecting with `FerriteTimeoutError`. The command
   * may still be applied. Default: no deadline beyond ioredis' own `commandTimeout`.
   */
  readonly commandTimeout?: number;
}

/**
 * A Ferrite transport over an ioredis 6 `Redis` or `Cluster` client.
 *
 * @example
 * const ferrite = createFerrite({ transport: ioredisTransport(new Redis(url)) });
 */
export function ioredisTransport(client: Redis | Cluster, options: IoredisTransportOptions = {}): Transport {
  if (options.commandTimeout !== undefined && !(Number.isFinite(options.commandTimeout) && options.commandTimeout > 0)) {
    throw new RangeError(`commandTimeout must be a positive number of milliseconds, got ${options.commandTimeout}`);
  }
  const ownership = { closeClient: options.closeClient === true, commandTimeout: options.commandTimeout };
  return client.isCluster ? clusterTransport(client as Cluster, ownership) : singleNodeTransport(client as Redis, ownership);
}
