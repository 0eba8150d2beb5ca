import type { Transport } from '@ferrite/core';
import type { ReadFrom } from '@ferrite/core/transport';
import type { RedisArgument, TypeMapping } from 'redis';
import { clusterTransport, type ClusterClient } from './cluster.js';
import { protocolOf, type NodeConnection } from './connection.js';
import { closeConnection, SingleConnectionTransport } from './single.js';

/** Options of `nodeRedisTransport`. */
export interface NodeRedisTransportOptions {
  /** Close the client passed in when the transport closes. Default `false`: the client stays yours. */
  readonly closeClient?: boolean;
  /**
   * On a cluster client: `'replica'` sends commands that only read (definitions marked
   * `readonly`, standard reads such as `GET`) to a replica of their shard. Default `'primary'`.
   * The cluster policy (routing, MOVED, ASK, CROSSSLOT) is described in the README.
   */
  readonly readFrom?: ReadFrom;
}

/*
 * The clients are described by the few members the transport relies on, not by node-redis'
 * generic types: those are invariant in their modules, scripts, RESP version and type mapping,
 * so no single instantiation accepts every client. Every command goes through `sendCommand` with
 * the transport's own type mapping, so those parameters do not matter here.
 */

/** A node-redis 6 client from `createClient()`, whatever its modules, RESP version or type mapping. */
export interface NodeRedisClient {
  /** Sends a raw command; the transport maps every reply type itself. */
  sendCommand(args: ReadonlyArray<RedisArgument>, options?: { typeMapping?: TypeMapping; timeout?: number | undefined }): Promise<unknown>;
  /** A view of the client with other command options (the transport's commands use one). */
  withCommandOptions(options: { typeMapping?: TypeMapping; timeout?: number | undefined }): unknown;
  /** A new client with the same options, for dedicated connections. */
  duplicate(): unknown;
  /** Closes the client once pending replies have arrived. */
  close(): Promise<void>;
  readonly isOpen: boolean;
}

/** A node-redis 6 cluster client from `createCluster()`. */
export interface NodeRedisCluster {
  /** The client of one cluster node, used to send a command straight to its slot's owner. */
  nodeClient(node: never): Promise<unknown>;
  readonly masters: readonly unknown[];
  /** Closes every node connection. */
  close(): Promise<void>;
  readonly isOpen: boolean;
}

function isCluster(client: NodeRedisClient | NodeRedisCluster): client is NodeRedisCluster {
  return typeof (client as { nodeClient?: unknown }).nodeClient === 'function';
}

/**
 * A Ferrite transport over a node-redis 6 client (`createClient`) or cluster client
 * (`createCluster`). Connect the client first: the transport never connects it (commands on an
 * unconnected client reject with a `FerriteConnectionError`). Deadlines belong to the client
 * built on it: `createFerrite({ transport, timeout })`.
 */
export function nodeRedisTransport(client: NodeRedisClient | NodeRedisCluster, options: NodeRedisTransportOptions = {}): Transport {
  const closeClient = options.closeClient === true;
  if (isCluster(client)) {
    return clusterTransport(client as unknown as ClusterClient, { closeClient, readFrom: options.readFrom });
  }
  const connection = client as unknown as NodeConnection;
  return new SingleConnectionTransport(connection, { protocol: protocolOf(connection.options) }, async () => {
    if (closeClient) await closeConnection(connection);
  });
}
