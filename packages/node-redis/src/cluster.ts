import { FerriteConnectionError, type ProtocolVersion, type TransportNode } from '@ferrite/core';
import { ClusterTransport, type ClusterConnector, type ReadFrom } from '@ferrite/core/transport';
import { createClient } from 'redis';
import { addressOf, type NodeConnection } from './connection.js';
import { closeConnection, connectTransport } from './single.js';

/** What the transport uses of a node-redis cluster client: its options, and whether it is open. */
export interface ClusterClient {
  readonly isOpen: boolean;
  close(): Promise<void>;
  destroy(): void;
  readonly _options?: {
    readonly RESP?: ProtocolVersion;
    readonly rootNodes?: readonly NodeConnection['options'][];
    /** What every node connection is created with (auth, TLS, …), plus the node's address. */
    readonly defaults?: Record<string, unknown> & { readonly socket?: Record<string, unknown> };
    /** Where to connect for an address the cluster announces (NAT, proxies). */
    readonly nodeAddressMap?:
      | Record<string, { readonly host: string; readonly port: number }>
      | ((address: string) => { readonly host: string; readonly port: number } | undefined);
  };
}

export interface ClusterSettings {
  readonly protocol: ProtocolVersion;
  readonly closeClient: boolean;
  readonly readFrom: ReadFrom | undefined;
}

/**
 * A `ClusterConnector` over a node-redis cluster client: the client supplies the root nodes and
 * the `defaults` every node connection gets (auth, TLS); the transport opens its own connection
 * to each node it uses. As with a single client, the user connects it first: the transport
 * refuses a cluster client that is not open.
 */
function nodeRedisConnector(cluster: ClusterClient, settings: ClusterSettings): ClusterConnector {
  const options = cluster._options ?? {};
  return {
    name: 'node-redis',
    protocol: settings.protocol,
    seeds: () => (options.rootNodes ?? []).map(addressOf),
    connect(node: TransportNode, connect) {
      if (!cluster.isOpen) {
        return Promise.reject(new FerriteConnectionError('node-redis: the cluster client is not connected', { maybeApplied: false }));
      }
      const announced = `${node.host}:${node.port}`;
      const map = options.nodeAddressMap;
      const address = (typeof map === 'function' ? map(announced) : map?.[announced]) ?? node;
      const connection = createClient({
        ...options.defaults,
        socket: { ...options.defaults?.socket, host: address.host, port: address.port },
        RESP: settings.protocol,
        readonly: connect.readonly,
      }) as unknown as NodeConnection;
      return connectTransport(connection, { protocol: settings.protocol, node, onClosed: connect.onClosed }, connect.signal);
    },
    release: async () => {
      if (settings.closeClient) await closeConnection(cluster);
    },
  };
}

/** The transport over a node-redis cluster client; the cluster policy is core's (see `ClusterTransport`). */
export function clusterTransport(cluster: ClusterClient, settings: ClusterSettings): ClusterTransport {
  return new ClusterTransport(nodeRedisConnector(cluster, settings), { readFrom: settings.readFrom });
}
