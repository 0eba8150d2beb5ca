import { FerriteConnectionError, FerriteValidationError, isConnectionError, isReplyError } from '../errors.js';
import { readArray, readInteger, readText, type Reply } from '../reply.js';
import type { BatchEntry, DedicatedOptions, DedicatedTransport, ProtocolVersion, Transport, TransportNode, TransportSendOptions, TransportTopology, WireCommand } from '../transport.js';
import type { Arg } from '../args.js';
import { asFerriteError, runGrouped } from './batch.js';
import { TransportLifecycle } from './lifecycle.js';
import { unknownNode } from './nodes.js';
import { CLUSTER_SLOTS, CommandKeyResolver, isReadCommand, scriptKey, slotOf } from './routing.js';
import { describeValue } from '../validate.js';

/** Where a cluster transport sends commands that only read. */
export type ReadFrom = 'primary' | 'replica';

/** What a cluster transport needs from a driver: connections to single nodes. */
export interface ClusterConnector {
  /** The driver's name (`ioredis`), for messages. */
  readonly name: string;
  readonly protocol: ProtocolVersion;
  /** Where to ask for the slot map first: the addresses the user gave the driver. */
  seeds(): readonly { readonly host: string; readonly port: number }[];
  /**
   * Opens one connection to `node`, as a transport of its own that never redirects. With
   * `readonly`, the connection sends `READONLY` on every (re)connect (reads from a replica).
   * `onClosed` runs once the returned transport has closed.
   */
  connect(node: TransportNode, options: ConnectOptions): Promise<DedicatedTransport>;
  /** Frees what the connector holds besides those connections (the user's client, when asked to). */
  release(): Promise<void>;
}

export interface ConnectOptions {
  readonly readonly: boolean;
  readonly signal?: AbortSignal;
  readonly onClosed: () => void;
}

export interface ClusterTransportOptions {
  /** Default `'primary'`. `'replica'`: commands that only read go to a replica of their shard. */
  readonly readFrom?: ReadFrom;
}

interface Shard {
  readonly primary: TransportNode;
  readonly replicas: readonly TransportNode[];
}

interface SlotMap {
  readonly slots: readonly (Shard | undefined)[];
  readonly primaries: readonly TransportNode[];
}

const REDIRECT = /^(MOVED|ASK) \d+ (.+):(\d+)$/;

/** How long a keyless question (`COMMAND INFO`) waits for one primary before it is asked of the others too. */
const HEDGE_AFTER_MS = 250;

/** Checks `readFrom` for a cluster transport's options (a typed error for anything else). */
export function readFromOption(value: unknown): ReadFrom {
  if (value === undefined) return 'primary';
  if (value === 'primary' || value === 'replica') return value;
  throw new FerriteValidationError('readFrom', `expected 'primary' or 'replica', got ${describeValue(value)}`);
}

const addressOf = (node: { host: string; port: number }): string => `${node.host}:${node.port}`;

/**
 * The cluster policy every Ferrite cluster transport follows, whatever the driver:
 *
 * - Each command goes to the primary owning its key's slot, from a slot map read with
 *   `CLUSTER SLOTS`. The key is the command's `routingKey`, the first key of a script call, or
 *   the key `COMMAND INFO` places (asked once per command name).
 * - Keyless commands go to the primaries in turn (round robin).
 * - `MOVED`: the slot map is read again and the command is resent once, to the node named.
 * - `ASK`: the command is sent once to the node named, right after `ASKING` on the same connection.
 * - `CROSSSLOT` rejects with `FerriteCrossSlotError`; nothing ran.
 * - `readFrom: 'replica'`: commands that only read (definitions marked `readonly`, standard read
 *   commands) go to a replica of the shard, in turn, over connections in `READONLY` mode;
 *   a shard without replicas serves them from its primary.
 * - Batches are split by node, pipelined per node, and reassembled in order; entries
 *   redirected are then resent one by one as above.
 */
export class ClusterTransport implements Transport {
  readonly name: string;
  readonly topology: TransportTopology = 'cluster';
  readonly #connector: ClusterConnector;
  readonly #readFrom: ReadFrom;
  readonly #lifecycle: TransportLifecycle;
  readonly #links = new Map<string, Promise<DedicatedTransport>>();
  readonly #keys: CommandKeyResolver;
  #map: Promise<SlotMap> | undefined;
  #turn = 0;

  constructor(connector: ClusterConnector, options: ClusterTransportOptions = {}) {
    this.name = connector.name;
    this.#connector = connector;
    this.#readFrom = readFromOption(options.readFrom);
    this.#lifecycle = new TransportLifecycle(connector.name);
    this.#keys = new CommandKeyResolver((command) => this.#askAnyPrimary(command));
  }

  get protocol(): ProtocolVersion {
    return this.#connector.protocol;
  }

  async nodes(): Promise<readonly TransportNode[]> {
    this.#lifecycle.assertOpen();
    return (await this.#slotMap()).primaries;
  }

  async send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    this.#lifecycle.assertOpen();
    const signal = options?.signal;
    let link: DedicatedTransport;
    try {
      link = options?.node !== undefined ? await this.#link(await this.#primaryById(options.node), false) : await this.#route(command);
    } catch (error) {
      throw notSent(error);
    }
    // The caller gave up while the route was being found (a node down, a slot map being read):
    // the command is not sent late, after the caller was told it timed out or was aborted.
    if (signal?.aborted) throw new FerriteConnectionError(`${this.name}: the caller stopped waiting before the command was sent`, { maybeApplied: false });
    if (options?.node !== undefined) return link.send(command, { signal });
    try {
      return await link.send(command, { signal });
    } catch (error) {
      return this.#redirected(error, command, signal);
    }
  }

  async batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    this.#lifecycle.assertOpen();
    const signal = options?.signal;
    if (options?.node !== undefined) return (await this.#link(await this.#primaryById(options.node), false)).batch(commands, { signal });
    const entries = await runGrouped(
      commands.length,
      (index) =>
        this.#route(commands[index] as WireCommand).catch((error: unknown) => {
          throw notSent(error);
        }),
      (link, indexes) => {
        // As in `send`: nothing goes out late for a caller that gave up while routes were found.
        if (signal?.aborted) return Promise.reject(new FerriteConnectionError(`${this.name}: the caller stopped waiting before the batch was sent`, { maybeApplied: false }));
        return link.batch(indexes.map((index) => commands[index] as WireCommand), { signal });
      },
      this.name,
    );
    await Promise.all(
      entries.map(async (entry, index) => {
        if (entry.ok || !isRedirect(entry.error)) return;
        entries[index] = await this.#redirected(entry.error, commands[index] as WireCommand, signal).then(
          (value): BatchEntry => ({ ok: true, value }),
          (error: unknown): BatchEntry => ({ ok: false, error: asFerriteError(error, this.name) }),
        );
      }),
    );
    return entries;
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    let node: TransportNode;
    if (options?.node !== undefined) node = await this.#primaryById(options.node);
    else if (options?.routingKey !== undefined) node = (await this.#shardOf(options.routingKey)).primary;
    else node = await this.#nextPrimary();
    return this.#open(node, false, options?.signal);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(() => this.#connector.release());
  }

  /** Opens a connection of the cluster's that closes with it. */
  async #open(node: TransportNode, readonly: boolean, signal: AbortSignal | undefined): Promise<DedicatedTransport> {
    let opened: DedicatedTransport | undefined;
    const connection = await this.#lifecycle.track(
      this.#connector.connect(node, { readonly, signal, onClosed: () => opened && this.#lifecycle.forget(opened) }),
    );
    opened = connection;
    if (this.#lifecycle.closed) {
      await connection.close();
      this.#lifecycle.assertOpen();
    }
    return this.#lifecycle.adopt(connection);
  }

  /** The shared connection to a node (one for writes, one in `READONLY` mode for replica reads). */
  #link(node: TransportNode, readonly: boolean): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    const key = `${addressOf(node)}${readonly ? ' readonly' : ''}`;
    let link = this.#links.get(key);
    if (!link) {
      link = this.#open(node, readonly, undefined);
      link.catch(() => this.#links.delete(key));
      this.#links.set(key, link);
      // A link that closes (the transport closing) is opened again if asked for.
      void link.then((opened) => {
        const close = opened.close.bind(opened);
        opened.close = () => (this.#links.delete(key), close());
      }, () => {});
    }
    return link;
  }

  async #route(command: WireCommand): Promise<DedicatedTransport> {
    let key = command.routingKey;
    if (key === undefined) key = scriptKey(command);
    if (key === undefined) key = await this.#keys.routingKey(command);
    if (key === null) return this.#link(await this.#nextPrimary(), false);
    const shard = await this.#shardOf(key);
    if (this.#readFrom === 'replica' && shard.replicas.length > 0 && isReadCommand(command)) {
      return this.#link(shard.replicas[this.#turn++ % shard.replicas.length] as TransportNode, true);
    }
    return this.#link(shard.primary, false);
  }

  /**
   * Asks a keyless question that only reads (`COMMAND INFO`) of one primary, in turn; if it fails,
   * or has not answered within {@link HEDGE_AFTER_MS}, of the others too. The first answer wins:
   * a node that is down, or whose connection waits to reconnect, holds no command up.
   */
  async #askAnyPrimary(command: WireCommand): Promise<Reply> {
    const { primaries } = await this.#slotMap();
    const first = this.#turn++;
    return new Promise<Reply>((resolve, reject) => {
      let asked = 0;
      let failed = 0;
      let failure: unknown;
      let hedge: NodeJS.Timeout | undefined;
      const answer = (reply: Reply): void => (clearTimeout(hedge), resolve(reply));
      const fail = (error: unknown): void => (clearTimeout(hedge), reject(error));
      const ask = async (node: TransportNode): Promise<Reply> => (await this.#link(node, false)).send(command);
      const askNext = (): void => {
        ask(primaries[(first + asked++) % primaries.length] as TransportNode).then(answer, (error: unknown) => {
          failure ??= error;
          if (++failed === primaries.length || this.#lifecycle.closed) fail(failure);
          else if (asked < primaries.length) askNext();
        });
      };
      if (primaries.length === 0) return fail(new FerriteConnectionError(`${this.name}: the cluster has no primary`, { maybeApplied: false }));
      askNext();
      hedge = setTimeout(() => {
        while (asked < primaries.length) askNext();
      }, HEDGE_AFTER_MS);
    });
  }

  /** After MOVED or ASK: once more to the node named (MOVED also rereads the slot map). */
  async #redirected(error: unknown, command: WireCommand, signal: AbortSignal | undefined): Promise<Reply> {
    const redirect = isReplyError(error) ? REDIRECT.exec(error.serverMessage) : null;
    if (!redirect || this.#lifecycle.closed) throw error;
    const [, kind, host, port] = redirect as unknown as [string, 'MOVED' | 'ASK', string, string];
    const target = await this.#nodeAt(host, Number(port));
    const link = await this.#link(target, false);
    if (kind === 'MOVED') {
      this.#map = undefined;
      return link.send(command, { signal });
    }
    const [asking, reply] = await link.batch([{ name: 'ASKING', args: [], routingKey: null }, command], { signal });
    if (!asking?.ok) throw asking?.error ?? new FerriteConnectionError(`${this.name}: ASKING got no reply`);
    if (!reply) throw new FerriteConnectionError(`${this.name}: no reply after ASKING`);
    if (!reply.ok) throw reply.error;
    return reply.value;
  }

  async #nodeAt(host: string, port: number): Promise<TransportNode> {
    const known = await this.#slotMap().then(
      (map) => map.slots.flatMap((shard) => (shard ? [shard.primary, ...shard.replicas] : [])).find((node) => node.host === host && node.port === port),
      () => undefined,
    );
    return known ?? { id: `${host}:${port}`, host, port };
  }

  async #shardOf(key: Arg): Promise<Shard> {
    const slot = slotOf(key);
    const shard = (await this.#slotMap()).slots[slot];
    if (!shard) throw new FerriteConnectionError(`${this.name}: no node serves slot ${slot}`);
    return shard;
  }

  async #nextPrimary(): Promise<TransportNode> {
    const { primaries } = await this.#slotMap();
    const node = primaries[this.#turn++ % primaries.length];
    if (!node) throw new FerriteConnectionError(`${this.name}: the cluster has no primary`);
    return node;
  }

  async #primaryById(id: string): Promise<TransportNode> {
    const node = (await this.#slotMap()).primaries.find((primary) => primary.id === id);
    if (!node) throw unknownNode(id);
    return node;
  }

  #slotMap(): Promise<SlotMap> {
    if (!this.#map) {
      const loading = this.#loadSlotMap();
      this.#map = loading;
      loading.catch(() => {
        if (this.#map === loading) this.#map = undefined;
      });
    }
    return this.#map;
  }

  /** Asks the seeds, then the nodes known so far, until one answers `CLUSTER SLOTS`. */
  async #loadSlotMap(): Promise<SlotMap> {
    const previous = [...this.#links.keys()].map((key) => key.split(' ')[0] as string);
    const candidates = [...new Set([...previous, ...this.#connector.seeds().map(addressOf)])];
    let failure: unknown = new FerriteConnectionError(`${this.name}: no cluster node to ask for the slot map`);
    for (const address of candidates) {
      const split = address.lastIndexOf(':');
      const host = address.slice(0, split);
      const port = Number(address.slice(split + 1));
      try {
        const link = await this.#link({ id: address, host, port }, false);
        return parseSlots(await link.send({ name: 'CLUSTER', args: ['SLOTS'], routingKey: null }), host);
      } catch (error) {
        failure = error;
        if (this.#lifecycle.closed) break;
      }
    }
    throw failure;
  }
}

/** A failure before the command was written (routing, connecting): it never ran. */
function notSent(error: unknown): unknown {
  return isConnectionError(error) && error.maybeApplied ? new FerriteConnectionError(error.message, { cause: error, maybeApplied: false }) : error;
}

function isRedirect(error: unknown): boolean {
  return isReplyError(error) && REDIRECT.test(error.serverMessage);
}

function parseNode(entry: Reply, askedHost: string): TransportNode {
  const [host, port, id] = readArray(entry);
  const text = host === undefined || host === null ? '' : readText(host);
  const address = text === '' || text === '?' ? askedHost : text;
  const number = readInteger(port ?? null);
  return { id: id === undefined || id === null ? `${address}:${number}` : readText(id), host: address, port: number };
}

function parseSlots(reply: Reply, askedHost: string): SlotMap {
  const slots = new Array<Shard | undefined>(CLUSTER_SLOTS);
  const primaries = new Map<string, TransportNode>();
  for (const range of readArray(reply)) {
    const [start, end, primary, ...replicas] = readArray(range);
    const shard: Shard = { primary: parseNode(primary ?? null, askedHost), replicas: replicas.map((entry) => parseNode(entry, askedHost)) };
    primaries.set(shard.primary.id, shard.primary);
    for (let slot = readInteger(start ?? null); slot <= readInteger(end ?? null); slot++) slots[slot] = shard;
  }
  return { slots, primaries: [...primaries.values()] };
}
