import { ClusterTransport, type ClusterConnector, type ReadFrom } from '@ferrite/core/transport';
import type { ProtocolVersion, TransportNode } from '@ferrite/core';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { closeClient } from './connection.js';
import { ownConnectionOptions, requestedProtocol } from './options.js';
import type { ClientOwnership } from './single.js';
import { connectTransport } from './single.js';

/** ioredis' startup nodes: a port, `host:port` or a URL, or `{ host, port }`. Not in its public typings. */
type StartupNode = string | number | { readonly host?: string; readonly port?: number | string };

function seedOf(node: StartupNode): { host: string; port: number } {
  if (typeof node === 'number') return { host: 'localhost', port: node };
  if (typeof node === 'string') {
    const url = new URL(node.includes('://') ? node : `redis://${node}`);
    return { host: url.hostname || 'localhost', port: Number(url.port || 6379) };
  }
  return { host: node.host ?? 'localhost', port: Number(node.port ?? 6379) };
}

/**
 * A `ClusterConnector` over an ioredis `Cluster`: the user's client supplies the addresses to
 * start from and the options of every connection (auth, TLS, `natMap`); the transport opens its
 * own connections to the nodes, which decode replies as it needs and never resend.
 */
function ioredisConnector(cluster: Cluster, ownership: ClientOwnership): ClusterConnector {
  const redisOptions: RedisOptions = cluster.options.redisOptions ?? {};
  const natMap = cluster.options.natMap;
  const startupNodes = (cluster as unknown as { startupNodes?: StartupNode[] }).startupNodes ?? [];
  const protocol: ProtocolVersion = requestedProtocol(redisOptions);
  return {
    name: 'ioredis',
    protocol,
    seeds: () => startupNodes.map(seedOf),
    connect(node: TransportNode, options) {
      // The cluster announces addresses the client may not reach (NAT): ioredis' natMap says where to go.
      const announced = `${node.host}:${node.port}`;
      const address = (typeof natMap === 'function' ? natMap(announced) : natMap?.[announced]) ?? node;
      const connection = new Redis({
        ...redisOptions,
        ...ownConnectionOptions(redisOptions),
        host: address.host,
        port: address.port,
        readOnly: options.readonly,
        lazyConnect: true,
      });
      connection.on('error', () => {});
      return connectTransport(connection, { onClosed: options.onClosed, node }, options.signal);
    },
    release: async () => {
      if (ownership.closeClient) await closeClient(cluster);
    },
  };
}

/** The transport over an ioredis `Cluster`; the cluster policy is core's (see `ClusterTransport`). */
export function clusterTransport(cluster: Cluster, ownership: ClientOwnership, readFrom: ReadFrom | undefined): ClusterTransport {
  return new ClusterTransport(ioredisConnector(cluster, ownership), { readFrom });
}
