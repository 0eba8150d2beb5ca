import {
  CommandKeyResolver,
  FerriteConnectionError,
  slotOf,
  type Arg,
  type BatchEntry,
  type DedicatedOptions,
  type DedicatedTransport,
  type ProtocolVersion,
  type Reply,
  type Transport,
  type WireCommand,
} from '@ferrite/core';
import { Command, type Cluster, type Redis } from 'ioredis';
import { closeConnection, decoderOptions, decodesForTransport, protocolOf, requestedProtocol } from './connection.js';
import { translateError } from './errors.js';
import { execute, executeBatch } from './execute.js';
import { Lifecycle } from './lifecycle.js';
import type { ClientOwnership } from './single.js';
import { openDedicated } from './single.js';

function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

async function closeCluster(cluster: Cluster): Promise<void> {
  if (cluster.status === 'end') return;
  try {
    await cluster.quit();
  } catch {
    cluster.disconnect();
  }
}

async function clusterReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return;
  if (cluster.status === 'wait') {
    await cluster.connect();
    return;
  }
  if (cluster.status === 'end') throw new FerriteConnectionError('ioredis: the cluster client is closed');
  await new Promise<void>((resolve, reject) => {
    const onReady = () => (cluster.off('end', onEnd), resolve());
    const onEnd = () => (cluster.off('ready', onReady), reject(new FerriteConnectionError('ioredis: the cluster client ended before it was ready')));
    cluster.once('ready', onReady);
    cluster.once('end', onEnd);
  });
}

/**
 * The transport over an ioredis `Cluster`. ioredis sends a command it does not know (every Ferrite
 * command) to a random node and relies on MOVED redirects; this transport computes the slot itself
 * and sends each command on the connection of the primary that owns it, so nothing is redirected.
 */
export class ClusterTransport implements Transport {
  readonly name = 'ioredis';
  readonly #cluster: Cluster;
  readonly #userCluster: Cluster;
  readonly #ownership: ClientOwnership;
  readonly #lifecycle = new Lifecycle();
  readonly #builtins: ReadonlySet<string>;
  readonly #keys = new CommandKeyResolver((command) => this.#sendTo(this.#anyPrimary(), command));

  constructor(cluster: Cluster, ownership: ClientOwnership) {
    this.#userCluster = cluster;
    this.#ownership = ownership;
    const redisOptions = cluster.options.redisOptions ?? {};
    if (decodesForTransport(redisOptions)) {
      this.#cluster = cluster;
    } else {
      this.#cluster = cluster.duplicate([], {
        redisOptions: { ...decoderOptions(requestedProtocol(redisOptions)), autoResendUnfulfilledCommands: false },
      });
      this.#cluster.on('error', () => {});
    }
    this.#builtins = new Set(cluster.getBuiltinCommands());
  }

  get protocol(): ProtocolVersion {
    const node = this.#cluster.nodes('master').find((candidate) => candidate.condition !== null);
    return node ? protocolOf(node) : requestedProtocol(this.#cluster.options.redisOptions ?? {});
  }

  async send(command: WireCommand): Promise<Reply> {
    this.#lifecycle.assertOpen();
    const node = await this.#nodeFor(command);
    return this.#sendTo(node, command);
  }

  async batch(commands: readonly WireCommand[]): Promise<BatchEntry[]> {
    this.#lifecycle.assertOpen();
    const entries: BatchEntry[] = new Array(commands.length);
    const groups = new Map<Redis, number[]>();
    await Promise.all(
      commands.map(async (command, index) => {
        try {
          const node = await this.#nodeFor(command);
          const group = groups.get(node) ?? [];
          if (group.length === 0) groups.set(node, group);
          group.push(index);
        } catch (error) {
          entries[index] = { ok: false, error: translateError(error, command.name, undefined) };
        }
      }),
    );
    await Promise.all(
      [...groups].map(async ([node, indexes]) => {
        indexes.sort((a, b) => a - b);
        const results = await executeBatch(node, indexes.map((index) => commands[index] as WireCommand), this.#ownership.commandTimeout);
        indexes.forEach((index, position) => (entries[index] = results[position] as BatchEntry));
      }),
    );
    return entries;
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    await this.#ready();
    const node = options?.routingKey === undefined ? this.#anyPrimary() : this.#primaryFor(options.routingKey);
    return openDedicated(node, this.#lifecycle, this.#ownership.commandTimeout);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      if (this.#cluster !== this.#userCluster) await closeCluster(this.#cluster);
      if (this.#ownership.closeClient) await closeCluster(this.#userCluster);
    });
  }

  async #ready(): Promise<void> {
    try {
      await clusterReady(this.#cluster);
    } catch (error) {
      throw translateError(error, 'CONNECT', undefined);
    }
  }

  #sendTo(node: Redis, command: WireCommand): Promise<Reply> {
    return execute(node, command, this.#ownership.commandTimeout);
  }

  async #nodeFor(command: WireCommand): Promise<Redis> {
    await this.#ready();
    const key = await this.#routingKey(command);
    return key === null ? this.#anyPrimary() : this.#primaryFor(key);
  }

  /** The key deciding the slot: given, known to ioredis, or learnt from `COMMAND INFO`. */
  async #routingKey(command: WireCommand): Promise<Arg | null> {
    if (command.routingKey !== undefined) return command.routingKey;
    const name = command.name.toLowerCase();
    if (!this.#builtins.has(name)) return this.#keys.routingKey(command);
    try {
      const key: unknown = new Command(name, command.args.slice()).getKeys()[0];
      return typeof key === 'string' || Buffer.isBuffer(key) ? key : null;
    } catch {
      // Arguments ioredis cannot parse for keys (a malformed EVAL): let the server judge them.
      return null;
    }
  }

  #primaryFor(key: Arg): Redis {
    const slot = slotOf(key);
    const owner = this.#cluster.slots[slot]?.[0];
    const node = owner === undefined ? undefined : this.#cluster.nodes('master').find((candidate) => nodeKey(candidate) === owner);
    if (!node) throw new FerriteConnectionError(`ioredis: no primary is known for slot ${slot}`);
    return node;
  }

  #anyPrimary(): Redis {
    const primaries = this.#cluster.nodes('master');
    const node = primaries[Math.floor(Math.random() * primaries.length)];
    if (!node) throw new FerriteConnectionError('ioredis: the cluster has no primary');
    return node;
  }
}

export function clusterTransport(cluster: Cluster, ownership: ClientOwnership): ClusterTransport {
  return new ClusterTransport(cluster, ownership);
}
