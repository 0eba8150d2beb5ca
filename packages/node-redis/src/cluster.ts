import {
  CommandKeyResolver,
  FerriteConnectionError,
  isFerriteError,
  isReplyError,
  isTimeoutError,
  slotOf,
  TransportLifecycle,
  type Arg,
  type BatchEntry,
  type DedicatedOptions,
  type DedicatedTransport,
  type FerriteError,
  type ProtocolVersion,
  type Reply,
  type Transport,
  type TransportNode,
  type TransportSendOptions,
  type WireCommand,
} from '@ferrite/core';
import { unknownNode } from '@ferrite/core/transport';
import { driverTimeoutOf, type NodeConnection, type SendOptions } from './connection.js';
import { execute, executeBatch, executeWith, type SendContext } from './execute.js';
import { closeConnection, openDedicated, type ConnectionSettings } from './single.js';

/** A node of the cluster as node-redis describes it (handed back to `nodeClient`). */
export interface ClusterNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** What the transport uses of a node-redis cluster client. */
export interface ClusterClient {
  /** The slot map: `slots[slot].master` is the primary that owns the slot. */
  readonly slots: ReadonlyArray<{ readonly master: ClusterNode } | undefined>;
  readonly masters: readonly ClusterNode[];
  readonly isOpen: boolean;
  /** The connection to one node (connected on first use). */
  nodeClient(node: ClusterNode): Promise<NodeConnection>;
  /** node-redis' own routing by `firstKey`, following MOVED/ASK and refreshing its slot map. */
  sendCommand(firstKey: Arg | undefined, isReadonly: boolean, args: ReadonlyArray<string | Buffer>, options: SendOptions): Promise<unknown>;
  close(): Promise<void>;
  /** Closes every node connection at once, abandoning pending commands. */
  destroy(): void;
  readonly _options?: NodeConnection['options'];
}

interface Route {
  readonly key: Arg | null;
  readonly node: NodeConnection;
}

export interface ClusterSettings extends ConnectionSettings {
  readonly closeClient: boolean;
}

/**
 * A transport over a node-redis cluster client. Ferrite's commands are unknown to node-redis,
 * which would send them to a random node and only get there through a MOVED redirect. So the
 * transport computes each command's slot itself (CRC16 with hash tags) and writes it on the
 * connection of the primary owning that slot, from the driver's slot map: no redirect is
 * followed, none is needed while the map is current.
 */
export class ClusterTransport implements Transport {
  readonly name = 'node-redis';
  readonly protocol: ProtocolVersion;
  readonly #cluster: ClusterClient;
  readonly #settings: ClusterSettings;
  readonly #lifecycle = new TransportLifecycle('node-redis');
  readonly #keys: CommandKeyResolver;
  #turn = 0;

  constructor(cluster: ClusterClient, settings: ClusterSettings) {
    this.#cluster = cluster;
    this.#settings = settings;
    this.protocol = settings.protocol;
    this.#keys = new CommandKeyResolver(async (command) => execute(await this.#anyPrimary(), command, { lifecycle: this.#lifecycle, signal: undefined }));
  }

  /** The primaries of the driver's slot map; ids are the nodes' `CLUSTER MYID`. */
  async nodes(): Promise<readonly TransportNode[]> {
    this.#assertConnected();
    return this.#cluster.masters.map(({ id, host, port }) => ({ id, host, port }));
  }

  async send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    this.#lifecycle.assertOpen();
    const context = { lifecycle: this.#lifecycle, signal: options?.signal };
    if (options?.node !== undefined) return execute(await this.#nodeById(options.node), command, context);
    const route = await this.#route(command);
    try {
      return await execute(route.node, command, context);
    } catch (error) {
      return this.#afterRedirection(error, command, route.key, context);
    }
  }

  /** Groups the commands by node, pipelines each group on its node, and puts the replies back in order. */
  async batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    this.#lifecycle.assertOpen();
    const context = { lifecycle: this.#lifecycle, signal: options?.signal };
    if (options?.node !== undefined) return executeBatch(await this.#nodeById(options.node), commands, context);
    const entries = new Array<BatchEntry>(commands.length);
    const routes = await Promise.all(
      commands.map((command, index) =>
        this.#route(command).catch((error: unknown) => {
          entries[index] = { ok: false, error: asConnectionError(error) };
          return null;
        }),
      ),
    );
    // Built in command order, so commands for one node keep their relative order on the wire.
    const groups = new Map<NodeConnection, number[]>();
    routes.forEach((route, index) => {
      if (!route) return;
      const group = groups.get(route.node);
      if (group) group.push(index);
      else groups.set(route.node, [index]);
    });
    await Promise.all(
      [...groups].map(async ([node, indexes]) => {
        const results = await executeBatch(node, indexes.map((index) => commands[index] as WireCommand), context);
        results.forEach((result, position) => (entries[indexes[position] as number] = result));
      }),
    );
    // Commands whose slot moved meanwhile go again, one by one, the driver's way.
    await Promise.all(
      entries.map(async (entry, index) => {
        if (entry.ok || !isRedirection(entry.error)) return;
        const command = commands[index] as WireCommand;
        entries[index] = await this.#afterRedirection(entry.error, command, routes[index]?.key ?? null, context).then(
          (value): BatchEntry => ({ ok: true, value }),
          (error: unknown): BatchEntry => ({ ok: false, error: asConnectionError(error) }),
        );
      }),
    );
    return entries;
  }

  /** A new connection to the primary owning `options.routingKey`'s slot (any primary without one). */
  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    if (options?.node !== undefined) {
      const primary = this.#primaryById(options.node);
      return openDedicated(await this.#connectionTo(primary), this.#lifecycle, { protocol: this.protocol, node: primary }, options.signal);
    }
    const primary = options?.routingKey === undefined ? this.#nextPrimary() : this.#primaryOf(options.routingKey);
    const node = await this.#connectionTo(primary);
    return openDedicated(node, this.#lifecycle, { protocol: this.protocol, node: { id: primary.id, host: primary.host, port: primary.port } }, options?.signal);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      if (this.#settings.closeClient) await closeConnection(this.#cluster);
    });
  }

  async #route(command: WireCommand): Promise<Route> {
    // A standard command sent raw names no routing key: the server's key specs say where it is
    // (asked once per command name), except for scripts, whose keys the specs cannot place.
    let key = command.routingKey;
    if (key === undefined) key = scriptKey(command);
    if (key === undefined) key = await this.#keys.routingKey(command);
    return { key, node: await (key === null ? this.#anyPrimary() : this.#primaryFor(key)) };
  }

  /**
   * A MOVED or ASK reply means the driver's slot map is stale (a resharding, a failover). The
   * command goes once more through node-redis' own routing, which follows the redirection and
   * refreshes the map, so later commands go straight to the new owner again. When that fails
   * too (a client configured not to follow redirections), the original error stands.
   */
  async #afterRedirection(error: unknown, command: WireCommand, key: Arg | null, context: SendContext): Promise<Reply> {
    if (key === null || !isRedirection(error) || this.#lifecycle.closed) throw error;
    const cluster = this.#cluster;
    const driverTimeoutMs = driverTimeoutOf(cluster._options);
    try {
      return await executeWith((args, options) => cluster.sendCommand(key, false, args, options), driverTimeoutMs, command, context);
    } catch (retryError) {
      const answered = (isReplyError(retryError) && !isRedirection(retryError)) || isTimeoutError(retryError);
      throw answered ? retryError : error;
    }
  }

  #primaryOf(key: Arg): ClusterNode {
    this.#assertConnected();
    const shard = this.#cluster.slots[slotOf(key)];
    if (!shard) throw new FerriteConnectionError('node-redis: the cluster client has no slot map (connect it first)');
    return shard.master;
  }

  #primaryFor(key: Arg): Promise<NodeConnection> {
    return this.#connectionTo(this.#primaryOf(key));
  }

  /** Keyless commands go to the primaries in turn (never to a replica, which would refuse writes). */
  #nextPrimary(): ClusterNode {
    this.#assertConnected();
    const primaries = this.#cluster.masters;
    if (primaries.length === 0) throw new FerriteConnectionError('node-redis: the cluster client knows no primary (connect it first)');
    return primaries[this.#turn++ % primaries.length] as ClusterNode;
  }

  #anyPrimary(): Promise<NodeConnection> {
    return this.#connectionTo(this.#nextPrimary());
  }

  #primaryById(id: string): TransportNode {
    this.#assertConnected();
    const primary = this.#cluster.masters.find((candidate) => candidate.id === id);
    if (!primary) throw unknownNode(id);
    return { id: primary.id, host: primary.host, port: primary.port };
  }

  async #nodeById(id: string): Promise<NodeConnection> {
    const primary = this.#primaryById(id);
    return this.#connectionTo(this.#cluster.masters.find((candidate) => candidate.id === primary.id) as ClusterNode);
  }

  async #connectionTo(node: ClusterNode): Promise<NodeConnection> {
    try {
      return await this.#cluster.nodeClient(node);
    } catch (error) {
      throw asConnectionError(error);
    }
  }

  #assertConnected(): void {
    this.#lifecycle.assertOpen();
    // A closed cluster client would open fresh node connections on demand; refuse instead.
    if (!this.#cluster.isOpen) throw new FerriteConnectionError('node-redis: the cluster client is not connected');
  }
}

function isRedirection(error: unknown): boolean {
  return isReplyError(error) && /^(MOVED|ASK) /.test(error.serverMessage);
}

const SCRIPT_CALLS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

/** `EVAL script numkeys key…`: the first key, `null` without keys, `undefined` for other commands. */
function scriptKey(command: WireCommand): Arg | null | undefined {
  if (!SCRIPT_CALLS.has(command.name.toUpperCase())) return undefined;
  const count = command.args[1];
  const keys = count === undefined ? 0 : Number(count.toString());
  return keys > 0 ? (command.args[2] ?? null) : null;
}

function asConnectionError(error: unknown): FerriteError {
  return isFerriteError(error) ? error : new FerriteConnectionError(`node-redis: ${error instanceof Error ? error.message : String(error)}`);
}
