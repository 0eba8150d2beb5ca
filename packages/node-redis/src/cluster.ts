import { FerriteConnectionError, slotOf, type DedicatedTransport, type ProtocolVersion, type Reply, type TransportNode, type TransportSendOptions, type WireCommand } from '@ferrite/core';
import {
  ClusterTransport,
  readFromOption,
  TransportLifecycle,
  unknownNode,
  type ClusterDedicatedOptions,
  type ClusterDriver,
  type ClusterRoute,
  type ReadFrom,
  redirectOf,
  type Redirect,
} from '@ferrite/core/transport';
import { ErrorReply, type RedisArgument } from 'redis';
import { protocolOf, type NodeConnection, type SendOptions } from './connection.js';
import { executeOn, NodeRedisSender } from './execute.js';
import { closeConnection, connectTransport } from './single.js';

/** A node as a node-redis cluster client lists it (`masters`, `slots[n].master`, `slots[n].replicas`). */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** The node's connection, once node-redis opened it. */
  readonly client?: { readonly options?: { readonly RESP?: ProtocolVersion }; readonly isReady?: boolean; destroy?(): void };
}

/**
 * What the transport uses of a node-redis cluster client: its public routing (`sendCommand` by
 * first key), its view of the topology (`masters`, `slots`) and its node clients.
 */
export interface ClusterClient {
  readonly isOpen: boolean;
  readonly isReady?: boolean;
  readonly masters: readonly ClusterNodeInfo[];
  /** Every node node-redis knows, by `host:port`. */
  readonly nodeByAddress: ReadonlyMap<string, ClusterNodeInfo>;
  readonly slots: ReadonlyArray<{ readonly master: ClusterNodeInfo; readonly replicas?: readonly ClusterNodeInfo[] } | undefined>;
  sendCommand(firstKey: RedisArgument | undefined, isReadonly: boolean | undefined, args: ReadonlyArray<RedisArgument>, options?: SendOptions): Promise<unknown>;
  withCommandOptions(options: Partial<SendOptions>): ClusterClient;
  nodeClient(node: ClusterNodeInfo): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

export interface ClusterSettings {
  readonly closeClient: boolean;
  readonly readFrom: ReadFrom | undefined;
}

/**
 * node-redis gives up on a redirect after `maxCommandRedirections` with an error of its own that
 * hides the reply; the reply itself (`MOVED …`) tells core the command was not applied.
 */
function revealRedirect(error: unknown): never {
  const cause = error instanceof Error ? error.cause : undefined;
  throw cause instanceof ErrorReply && /^(MOVED|ASK) /.test(cause.message) ? cause : error;
}

/**
 * The cluster client seen as one connection that sends every command where node-redis routes a
 * command whose first key is `key` (any node for `undefined`): node-redis follows `MOVED` and `ASK`,
 * rereads the topology after them and when a node reconnects, exactly as for its own commands.
 * Only what `NodeRedisSender` uses of a connection is here.
 */
class RoutedConnection {
  readonly #cluster: ClusterClient;
  readonly #key: RedisArgument | undefined;

  constructor(cluster: ClusterClient, key: RedisArgument | undefined) {
    this.#cluster = cluster;
    this.#key = key;
  }

  /**
   * Never: this way is taken when the node's own connection is not up, so node-redis may hold the
   * command back until it connects, and core's signal must be able to take it back from there.
   */
  get isReady(): boolean {
    return false;
  }

  get isOpen(): boolean {
    return this.#cluster.isOpen;
  }

  sendCommand(args: ReadonlyArray<string | Buffer>, options?: SendOptions): Promise<unknown> {
    return this.#cluster.sendCommand(this.#key, false, args, options).catch(revealRedirect);
  }

  withCommandOptions(options: Partial<SendOptions>): RoutedConnection {
    return new RoutedConnection(this.#cluster.withCommandOptions(options), this.#key);
  }
}

/** The entry of keyless commands in the table of routed senders. */
const ANY_NODE = -1;

/**
 * The cluster side of the node-redis transport: every command goes through the cluster client's
 * own routing (`sendCommand(firstKey, …)`), per-node commands and dedicated connections through
 * its node clients (`nodeClient`, `duplicate()`). The transport opens no connection of its own
 * besides dedicated ones. As with a single client, the user connects the cluster client first.
 */
class NodeRedisClusterDriver implements ClusterDriver {
  readonly name = 'node-redis';
  readonly #cluster: ClusterClient;
  readonly #settings: ClusterSettings;
  readonly #lifecycle = new TransportLifecycle('node-redis');
  /** One sender per slot (node-redis routes by the slot of the key, so any key of the slot will do). */
  readonly #routed = new Map<number, NodeRedisSender>();
  readonly #nodeSenders = new WeakMap<object, NodeRedisSender>();
  #turn = 0;

  constructor(cluster: ClusterClient, settings: ClusterSettings) {
    this.#cluster = cluster;
    this.#settings = settings;
  }

  /** What the node connections speak, as node-redis set them up (RESP3 unless `RESP: 2`). */
  get protocol(): ProtocolVersion {
    return protocolOf(this.#cluster.masters.find((node) => node.client)?.client?.options);
  }

  get open(): boolean {
    return this.#cluster.isOpen && !this.#lifecycle.closed;
  }

  send(command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply> {
    if (!this.#cluster.isOpen) return Promise.reject(notConnected());
    if (route.key === null) {
      // Any primary whose connection is up (node-redis' own choice may be a node that is down).
      const up = this.#cluster.masters.filter((node) => node.client?.isReady === true);
      const primary = up[this.#turn++ % Math.max(up.length, 1)]?.client as NodeConnection | undefined;
      return executeOn(primary ? this.#nodeSender(primary) : this.#routedSender(null), command, { lifecycle: this.#lifecycle, options });
    }
    const shard = this.#cluster.slots[slotOf(route.key)];
    if (route.replica) {
      const replicas = shard?.replicas ?? [];
      const replica = replicas[this.#turn++ % Math.max(replicas.length, 1)];
      if (replica) return this.#sendOnNode(replica, command, options);
    }
    // The connection node-redis keeps to the slot's primary, when it is up: the command is written
    // in this turn, in call order (node-redis' own routing takes a different number of turns per
    // command, which would reorder a batch). Otherwise node-redis' routing, which connects,
    // follows redirects and rereads the topology.
    const primary = shard?.master.client as NodeConnection | undefined;
    if (primary?.isReady) return executeOn(this.#nodeSender(primary), command, { lifecycle: this.#lifecycle, options });
    return executeOn(this.#routedSender(route.key), command, { lifecycle: this.#lifecycle, options });
  }

  /**
   * After a redirect: through node-redis' routing when the redirect is about the route's own slot
   * (node-redis then follows it and rereads its topology, so later commands go straight to the
   * new owner); once to the node named when node-redis gives up on it (its
   * `maxCommandRedirections`) or the route's key is not the command's (after `ASKING` on the same
   * connection for `ASK`).
   */
  async sendRedirected(redirect: Redirect, command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply> {
    if (route.key !== null && slotOf(route.key) === redirect.slot) {
      try {
        return await executeOn(this.#routedSender(route.key), command, { lifecycle: this.#lifecycle, options });
      } catch (error) {
        if (!redirectOf(error)) throw error;
      }
    }
    const node = this.#cluster.nodeByAddress.get(`${redirect.host}:${redirect.port}`);
    if (!node) throw new FerriteConnectionError(`node-redis: no node known at ${redirect.host}:${redirect.port} yet`, { maybeApplied: false });
    if (redirect.kind === 'MOVED') return this.#sendOnNode(node, command, options);
    const [asking, reply] = await Promise.allSettled([this.#sendOnNode(node, { name: 'ASKING', args: [], routingKey: null }, options), this.#sendOnNode(node, command, options)]);
    if (asking.status === 'rejected') throw asking.reason;
    if (reply.status === 'rejected') throw reply.reason;
    return reply.value;
  }

  async sendToNode(id: string, command: WireCommand, options: TransportSendOptions | undefined): Promise<Reply> {
    if (!this.#cluster.isOpen) throw notConnected();
    return this.#sendOnNode(this.#primaryWithId(id), command, options);
  }

  async primaries(): Promise<readonly TransportNode[]> {
    if (!this.#cluster.isOpen) throw notConnected();
    return this.#cluster.masters.map(describe);
  }

  async dedicated(options: ClusterDedicatedOptions): Promise<DedicatedTransport> {
    if (!this.#cluster.isOpen) throw notConnected();
    let node: ClusterNodeInfo | undefined;
    if (options.node !== undefined) node = this.#primaryWithId(options.node);
    else if (options.key !== undefined) node = this.#cluster.slots[slotOf(options.key)]?.master;
    else node = this.#cluster.masters[this.#turn++ % Math.max(this.#cluster.masters.length, 1)];
    if (!node) throw new FerriteConnectionError('node-redis: no primary known for the dedicated connection yet', { maybeApplied: false });
    const client = (await this.#cluster.nodeClient(node)) as NodeConnection;
    return connectTransport(client.duplicate(), { protocol: this.protocol, node: describe(node), onClosed: options.onClosed }, options.signal);
  }

  /** node-redis rereads the topology by itself after a redirect and when a node reconnects. */
  topologyChanged(): void {}

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      if (this.#settings.closeClient) await closeCluster(this.#cluster);
    });
  }

  #routedSender(key: RedisArgument | null): NodeRedisSender {
    const slot = key === null ? ANY_NODE : slotOf(key);
    let sender = this.#routed.get(slot);
    if (!sender) {
      // `NodeRedisSender` uses a connection's sending side only, which `RoutedConnection` has.
      sender = new NodeRedisSender(new RoutedConnection(this.#cluster, key ?? undefined) as unknown as NodeConnection);
      this.#routed.set(slot, sender);
    }
    return sender;
  }

  async #sendOnNode(node: ClusterNodeInfo, command: WireCommand, options: TransportSendOptions | undefined): Promise<Reply> {
    let client: NodeConnection;
    try {
      client = (await this.#cluster.nodeClient(node)) as NodeConnection;
    } catch (error) {
      throw new FerriteConnectionError(`node-redis: no connection to ${node.host}:${node.port}: ${error instanceof Error ? error.message : String(error)}`, { maybeApplied: false });
    }
    return executeOn(this.#nodeSender(client), command, { lifecycle: this.#lifecycle, options });
  }

  #nodeSender(client: NodeConnection): NodeRedisSender {
    let sender = this.#nodeSenders.get(client);
    if (!sender) {
      sender = new NodeRedisSender(client);
      this.#nodeSenders.set(client, sender);
    }
    return sender;
  }

  #primaryWithId(id: string): ClusterNodeInfo {
    const node = this.#cluster.masters.find((master) => master.id === id);
    if (!node) throw unknownNode(id);
    return node;
  }
}

/**
 * Closes a cluster client within a bounded time whatever the nodes do (see `closeConnection`).
 * node-redis forgets its nodes as soon as `close()` starts, so when a node keeps pending replies
 * from arriving (it stopped answering), the cluster's `destroy()` no longer reaches that
 * connection: every node connection it had is destroyed here, from the list taken before.
 */
async function closeCluster(cluster: ClusterClient): Promise<void> {
  if (!cluster.isOpen) return;
  const clients = [...cluster.nodeByAddress.values()].flatMap((node) => (node.client ? [node.client] : []));
  await closeConnection(cluster);
  // A client in the middle of its graceful close says it is no longer open, yet its socket is.
  for (const client of clients) {
    try {
      client.destroy?.();
    } catch {
      // Closed already.
    }
  }
}

function describe(node: ClusterNodeInfo): TransportNode {
  return { id: node.id, host: node.host, port: node.port };
}

function notConnected(): FerriteConnectionError {
  return new FerriteConnectionError('node-redis: the cluster client is not connected', { maybeApplied: false });
}

/** The transport over a node-redis cluster client; the cluster policy is core's (see `ClusterTransport`). */
export function clusterTransport(cluster: ClusterClient, settings: ClusterSettings): ClusterTransport {
  return new ClusterTransport(new NodeRedisClusterDriver(cluster, settings), { readFrom: readFromOption(settings.readFrom) });
}
