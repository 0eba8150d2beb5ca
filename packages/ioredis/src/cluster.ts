import {
  CLUSTER_SLOTS,
  CommandKeyResolver,
  readArray,
  readInteger,
  readText,
  isReplyError,
  FerriteConnectionError,
  slotOf,
  TransportLifecycle,
  type Arg,
  type BatchEntry,
  type DedicatedOptions,
  type DedicatedTransport,
  type ProtocolVersion,
  type Reply,
  type Transport,
  type TransportNode,
  type TransportSendOptions,
  type WireCommand,
} from '@ferrite/core';
import { unknownNode } from '@ferrite/core/transport';
import { Command, type Cluster, type Redis } from 'ioredis';
import { closeClient, whenReady } from './connection.js';
import { decoderOptions, protocolOf, requestedProtocol, usableAsIs } from './options.js';
import { translateError } from './errors.js';
import { execute, executeBatch } from './execute.js';
import type { ClientOwnership } from './single.js';
import { openDedicated } from './single.js';

function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/** The primary owning each slot (`host:port`), and the primaries. */
interface SlotMap {
  readonly owners: readonly (string | undefined)[];
  readonly primaries: readonly TransportNode[];
}

function isMoved(error: unknown): boolean {
  return isReplyError(error) && error.serverMessage.startsWith('MOVED ');
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
  readonly #lifecycle = new TransportLifecycle('ioredis');
  readonly #builtins: ReadonlySet<string>;
  readonly #keys = new CommandKeyResolver((command) => this.#sendTo(this.#anyPrimary(), command, undefined));
  #owners: Promise<SlotMap> | undefined;
  readonly #onTopologyRefresh = (): void => {
    this.#owners = undefined;
  };

  constructor(cluster: Cluster, ownership: ClientOwnership) {
    this.#userCluster = cluster;
    this.#ownership = ownership;
    const redisOptions = cluster.options.redisOptions ?? {};
    if (usableAsIs(redisOptions)) {
      this.#cluster = cluster;
    } else {
      this.#cluster = cluster.duplicate([], {
        redisOptions: { ...decoderOptions(requestedProtocol(redisOptions)), autoResendUnfulfilledCommands: false },
      });
      this.#cluster.on('error', () => {});
    }
    this.#builtins = new Set(cluster.getBuiltinCommands());
    // ioredis refreshes its topology after failovers and redirects; ours follows.
    this.#cluster.on('refresh', this.#onTopologyRefresh);
  }

  get protocol(): ProtocolVersion {
    const node = this.#cluster.nodes('master').find((candidate) => candidate.condition !== null);
    return node ? protocolOf(node) : requestedProtocol(this.#cluster.options.redisOptions ?? {});
  }

  /** The primaries of the current slot map; ids are the nodes' `CLUSTER MYID`. */
  async nodes(): Promise<readonly TransportNode[]> {
    this.#lifecycle.assertOpen();
    await this.#ready();
    return (await this.#slotOwners()).primaries;
  }

  async send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    this.#lifecycle.assertOpen();
    const signal = options?.signal;
    if (options?.node !== undefined) return this.#sendTo(await this.#nodeById(options.node), command, signal);
    try {
      return await this.#sendTo(await this.#nodeFor(command), command, signal);
    } catch (error) {
      if (!isMoved(error)) throw error;
      // The slot has moved (resharding, failover) and the command was not applied: learn the
      // new owner and try once more.
      this.#forgetSlotOwners();
      return this.#sendTo(await this.#nodeFor(command), command, signal);
    }
  }

  async batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    this.#lifecycle.assertOpen();
    const signal = options?.signal;
    if (options?.node !== undefined) return executeBatch(await this.#nodeById(options.node), commands, { lifecycle: this.#lifecycle, signal });
    const entries = await this.#batchOnce(commands, signal);
    const moved = entries.flatMap((entry, index) => (!entry.ok && isMoved(entry.error) ? [index] : []));
    if (moved.length === 0) return entries;
    // As in `send`: the moved commands were not applied; they go once more to their new owners.
    this.#forgetSlotOwners();
    const retried = await this.#batchOnce(moved.map((index) => commands[index] as WireCommand), signal);
    moved.forEach((index, position) => (entries[index] = retried[position] as BatchEntry));
    return entries;
  }

  #forgetSlotOwners(): void {
    this.#owners = undefined;
    this.#cluster.refreshSlotsCache();
  }

  async #batchOnce(commands: readonly WireCommand[], signal: AbortSignal | undefined): Promise<BatchEntry[]> {
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
        const results = await executeBatch(node, indexes.map((index) => commands[index] as WireCommand), { lifecycle: this.#lifecycle, signal });
        indexes.forEach((index, position) => (entries[index] = results[position] as BatchEntry));
      }),
    );
    return entries;
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    await this.#ready();
    if (options?.node !== undefined) {
      const id = options.node;
      const node = await this.#nodeById(id);
      return openDedicated(node, this.#lifecycle, options.signal, { id, host: node.options.host ?? '', port: node.options.port ?? 0 });
    }
    const node = options?.routingKey === undefined ? this.#anyPrimary() : await this.#primaryFor(options.routingKey);
    const identity = (await this.#slotOwners()).primaries.find((primary) => `${primary.host}:${primary.port}` === nodeKey(node));
    return openDedicated(node, this.#lifecycle, options?.signal, identity);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#cluster.off('refresh', this.#onTopologyRefresh);
      await Promise.all([
        this.#cluster !== this.#userCluster ? closeClient(this.#cluster) : undefined,
        this.#ownership.closeClient ? closeClient(this.#userCluster) : undefined,
      ]);
    });
  }

  async #ready(): Promise<void> {
    try {
      await this.#lifecycle.track(whenReady(this.#cluster));
    } catch (error) {
      throw translateError(error, 'CONNECT', undefined);
    }
  }

  #sendTo(node: Redis, command: WireCommand, signal: AbortSignal | undefined): Promise<Reply> {
    return execute(node, command, { lifecycle: this.#lifecycle, signal });
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

  /**
   * The primary owning each slot, by `host:port`. Kept here rather than read from `cluster.slots`:
   * ioredis 6 fills that table from `CLUSTER SLOTS` compared as numbers, and with
   * `stringNumbers: true` a range such as `"5461"`…`"10922"` compares as text and is skipped,
   * leaving a third of the slots unknown to it.
   */
  #slotOwners(): Promise<SlotMap> {
    this.#owners ??= this.#loadSlotOwners().catch((error: unknown) => {
      this.#owners = undefined;
      throw error;
    });
    return this.#owners;
  }

  async #loadSlotOwners(): Promise<SlotMap> {
    const asked = this.#anyPrimary();
    const reply = await this.#sendTo(asked, { name: 'CLUSTER', args: ['SLOTS'], routingKey: null }, undefined);
    const owners = new Array<string>(CLUSTER_SLOTS);
    const primaries = new Map<string, TransportNode>();
    for (const range of readArray(reply)) {
      const [start, end, primary] = readArray(range);
      const [host, port, id] = readArray(primary ?? null);
      const address = host === undefined || readText(host) === '' ? (asked.options.host ?? '') : readText(host);
      const key = `${address}:${readInteger(port ?? null)}`;
      primaries.set(key, { id: id === undefined ? key : readText(id), host: address, port: readInteger(port ?? null) });
      for (let slot = readInteger(start ?? null); slot <= readInteger(end ?? null); slot++) owners[slot] = key;
    }
    return { owners, primaries: [...primaries.values()] };
  }

  async #nodeById(id: string): Promise<Redis> {
    await this.#ready();
    const primary = (await this.#slotOwners()).primaries.find((candidate) => candidate.id === id);
    const node = primary && this.#cluster.nodes('master').find((candidate) => nodeKey(candidate) === `${primary.host}:${primary.port}`);
    if (!node) throw unknownNode(id);
    return node;
  }

  async #primaryFor(key: Arg): Promise<Redis> {
    const slot = slotOf(key);
    const owner = (await this.#slotOwners()).owners[slot];
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
