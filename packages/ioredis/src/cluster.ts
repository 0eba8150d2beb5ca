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
  type Redirect,
} from '@ferrite/core/transport';
import type { Cluster, Redis } from 'ioredis';
import { closeClient, disconnectClient, duplicateConnection, whenReady } from './connection.js';
import { execute, executeBatch } from './execute.js';
import { requestedProtocol } from './options.js';
import type { ClientOwnership } from './single.js';
import { connectTransport } from './single.js';

/** How long `nodes()` waits for a primary to say its id before leaving it out (a node that is down). */
const NODE_ID_TIMEOUT_MS = 2000;
/** Slot map rereads asked for by failing calls, at most one per this many milliseconds. */
const REFRESH_SPACING_MS = 100;

/** States in which an ioredis connection writes a command now or once it has connected. */
const USABLE = new Set(['wait', 'connecting', 'connect', 'ready']);

const noop = (): void => {};

/** A node connection's `host:port`, as ioredis keys its pool and slot table. */
function addressOf(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/** The distinct primaries of ioredis' slot table (each slot's first address), in slot order. */
function primaryAddresses(slots: readonly (readonly string[] | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const addresses of slots) {
    const primary = addresses?.[0];
    if (primary !== undefined) seen.add(primary);
  }
  return [...seen];
}

function notSent(message: string): FerriteConnectionError {
  return new FerriteConnectionError(`ioredis: ${message}`, { maybeApplied: false });
}

/** One wait per connecting client, however many calls wait for it (one listener on the client, not one per call). */
const readiness = new WeakMap<Redis | Cluster, Promise<void>>();

function sharedReadiness(client: Redis | Cluster): Promise<void> {
  let ready = readiness.get(client);
  if (!ready) {
    ready = whenReady(client);
    const settled = (): void => void readiness.delete(client);
    ready.then(settled, settled);
    readiness.set(client, ready);
  }
  return ready;
}

/**
 * Resolves once `client` is ready (connecting a lazy one); rejects with `maybeApplied: false`
 * when it ends first or `signal` fires: nothing was written.
 */
async function readyWithin(client: Redis | Cluster, signal: AbortSignal | undefined): Promise<void> {
  if (client.status === 'ready') return;
  const ready = sharedReadiness(client);
  if (!signal) {
    await ready.catch((error: unknown) => Promise.reject(notSent(error instanceof Error ? error.message : String(error))));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(notSent('the caller stopped waiting for a connection to the cluster'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    ready.then(
      () => (signal.removeEventListener('abort', onAbort), resolve()),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(notSent(error instanceof Error ? error.message : String(error)))),
    );
  });
}

/**
 * The cluster side of the ioredis transport. The topology is ioredis' own: its slot table
 * (`slots`), its node list (`nodes()`), its rereading of the slot table on its timer and when
 * failing calls ask for it (`refreshSlotsCache()`), its seeds and `natMap`. ioredis sends a command
 * it does not know (every Ferrite command) to a random node, so a command goes to the node ioredis'
 * slot table names for the command's key.
 *
 * It goes out on a connection of the transport's own to that node, duplicated from ioredis' node
 * connection (`duplicate()`: same address, auth, TLS, protocol) with the decoder settings the
 * transport needs (`stringNumbers`, which ioredis' cluster cannot read its own slot map with) and
 * no resending. Such a connection closes when ioredis drops the node, and with the transport.
 */
class IoredisClusterDriver implements ClusterDriver {
  readonly name = 'ioredis';
  readonly protocol: ProtocolVersion;
  readonly #cluster: Cluster;
  readonly #ownership: ClientOwnership;
  readonly #lifecycle = new TransportLifecycle('ioredis');
  /** The transport's connection to each node ioredis knows, by ioredis' connection to it. */
  readonly #links = new Map<Redis, Redis>();
  readonly #ids = new WeakMap<Redis, Promise<string>>();
  /** The id each address last answered `CLUSTER MYID` with, for a primary whose connection is down now. */
  readonly #idByAddress = new Map<string, string>();
  readonly #forgetAddresses = (): void => void (this.#byAddress = undefined);
  readonly #dropNode = (node: Redis): void => {
    this.#byAddress = undefined;
    const link = this.#links.get(node);
    this.#links.delete(node);
    if (link) void disconnectClient(link);
  };
  #byAddress: Map<string, Redis> | undefined;
  #turn = 0;
  #lastRefresh = 0;

  constructor(cluster: Cluster, ownership: ClientOwnership) {
    this.protocol = requestedProtocol(cluster.options.redisOptions ?? {});
    this.#cluster = cluster;
    this.#ownership = ownership;
    cluster.on('+node', this.#forgetAddresses);
    cluster.on('refresh', this.#forgetAddresses);
    cluster.on('-node', this.#dropNode);
  }

  get open(): boolean {
    return this.#cluster.status !== 'end' && !this.#lifecycle.closed;
  }

  send(command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply> {
    if (this.#cluster.status !== 'ready') return this.#sendWhenReady(command, route, options);
    const node = this.#nodeFor(route);
    if (!node) return Promise.reject(this.#noNodeFor(route));
    return this.#sendOn(node, command, options);
  }

  async sendRedirected(redirect: Redirect, command: WireCommand, _route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply> {
    const node = this.#nodeAt(redirect.host, redirect.port);
    if (!node) throw notSent(`no connection to ${redirect.host}:${redirect.port} named by ${redirect.kind} yet`);
    if (redirect.kind === 'MOVED') return this.#sendOn(node, command, options);
    const link = await this.#readyLink(node, options?.signal);
    const [asking, reply] = await executeBatch(link, [{ name: 'ASKING', args: [], routingKey: null }, command], { lifecycle: this.#lifecycle, options });
    if (!asking?.ok) throw asking?.error ?? notSent('ASKING got no reply');
    if (!reply) throw new FerriteConnectionError('ioredis: no reply after ASKING');
    if (!reply.ok) throw reply.error;
    return reply.value;
  }

  async sendToNode(id: string, command: WireCommand, options: TransportSendOptions | undefined): Promise<Reply> {
    return this.#sendOn(await this.#primaryWithId(id, options?.signal), command, options);
  }

  /**
   * The primaries ioredis' slot table names, in slot order: a primary serving slots is listed
   * while ioredis has no connection to it (one cut, one not answering), under the id it last said;
   * it is left out once a reread slot table no longer names it. ioredis drops a node's connection
   * from its pool when it closes and brings it back with the next slot table, asked for here.
   */
  async primaries(): Promise<readonly TransportNode[]> {
    const signal = AbortSignal.timeout(NODE_ID_TIMEOUT_MS);
    await readyWithin(this.#cluster, signal);
    const pool = this.#addresses();
    const listed = await Promise.all(
      primaryAddresses(this.#cluster.slots).map(async (address): Promise<TransportNode[]> => {
        const node = pool.get(address);
        if (node === undefined) this.topologyChanged();
        const id = (node && (await this.#idOf(node, signal).catch(() => undefined))) ?? this.#idByAddress.get(address);
        if (id === undefined) return [];
        const colon = address.lastIndexOf(':');
        return [{ id, host: address.slice(0, colon), port: Number(address.slice(colon + 1)) }];
      }),
    );
    return listed.flat();
  }

  async dedicated(options: ClusterDedicatedOptions): Promise<DedicatedTransport> {
    const { signal } = options;
    let node: Redis | undefined;
    if (options.node !== undefined) node = await this.#primaryWithId(options.node, signal);
    else {
      await readyWithin(this.#cluster, signal);
      node = this.#nodeFor({ key: options.key ?? null, replica: false });
    }
    if (!node) throw notSent('no primary known for the dedicated connection yet');
    const described = await this.#describe(node, signal);
    return connectTransport(duplicateConnection(node, { lazyConnect: true }), { onClosed: options.onClosed, node: described }, signal);
  }

  topologyChanged(): void {
    const now = Date.now();
    if (now - this.#lastRefresh < REFRESH_SPACING_MS || this.#cluster.status !== 'ready') return;
    this.#lastRefresh = now;
    this.#cluster.refreshSlotsCache(noop);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#cluster.off('+node', this.#forgetAddresses);
      this.#cluster.off('refresh', this.#forgetAddresses);
      this.#cluster.off('-node', this.#dropNode);
      const links = [...this.#links.values()];
      this.#links.clear();
      await Promise.all([...links.map(closeClient), this.#ownership.closeClient ? closeClient(this.#cluster) : undefined]);
    });
  }

  async #sendWhenReady(command: WireCommand, route: ClusterRoute, options: TransportSendOptions | undefined): Promise<Reply> {
    this.#lifecycle.assertOpen();
    await readyWithin(this.#cluster, options?.signal);
    const node = this.#nodeFor(route);
    if (!node) throw this.#noNodeFor(route);
    return this.#sendOn(node, command, options);
  }

  /** Sends on the transport's connection to `node`, once it is ready; one that cannot connect sends nothing. */
  #sendOn(node: Redis, command: WireCommand, options: TransportSendOptions | undefined): Promise<Reply> {
    this.#lifecycle.assertOpen();
    const link = this.#link(node);
    // `options` travels as it is: its signal is read only if the command has to wait.
    if (link.status === 'ready') return execute(link, command, { lifecycle: this.#lifecycle, options });
    return this.#readyLink(node, options?.signal).then((ready) => execute(ready, command, { lifecycle: this.#lifecycle, options }));
  }

  async #readyLink(node: Redis, signal: AbortSignal | undefined): Promise<Redis> {
    const link = this.#link(node);
    await readyWithin(link, signal);
    return link;
  }

  /**
   * The transport's connection to the node of ioredis' connection `node`, opened when first needed.
   * Opening one opens the missing ones to every primary with it: a fresh client's first call
   * otherwise connects twice in a row (to a node for `COMMAND INFO`, then to its key's primary),
   * and each connection costs several round trips (connect, ready check, handshake).
   */
  #link(node: Redis): Redis {
    const link = this.#usableLink(node);
    if (link) return link;
    const opened = this.#openLink(node);
    for (const primary of this.#cluster.nodes('master')) if (!this.#usableLink(primary)) this.#openLink(primary).connect().catch(noop);
    return opened;
  }

  #usableLink(node: Redis): Redis | undefined {
    const link = this.#links.get(node);
    if (link && USABLE.has(link.status)) return link;
    this.#links.delete(node);
    return undefined;
  }

  #openLink(node: Redis): Redis {
    const link = duplicateConnection(node, { lazyConnect: true });
    this.#links.set(node, link);
    return link;
  }

  /** ioredis' connection to the node its slot table names for the route now. */
  #nodeFor(route: ClusterRoute): Redis | undefined {
    if (route.key === null) {
      const primaries = this.#cluster.nodes('master');
      return primaries[this.#turn++ % Math.max(primaries.length, 1)];
    }
    const addresses = this.#cluster.slots[slotOf(route.key)];
    if (!addresses || addresses.length === 0) return undefined;
    const byAddress = this.#addresses();
    if (route.replica && addresses.length > 1) {
      const replica = byAddress.get(addresses[1 + (this.#turn++ % (addresses.length - 1))] as string);
      if (replica) return replica;
    }
    return byAddress.get(addresses[0] as string);
  }

  #noNodeFor(route: ClusterRoute): FerriteConnectionError {
    this.topologyChanged();
    return notSent(route.key === null ? 'no primary known yet' : `no node known for slot ${slotOf(route.key)} yet`);
  }

  /** ioredis' connection to the node at an address a redirect named (through `natMap`, as ioredis maps it). */
  #nodeAt(host: string, port: number): Redis | undefined {
    const natMap = this.#cluster.options.natMap;
    const announced = `${host}:${port}`;
    const mapped = (typeof natMap === 'function' ? natMap(announced) : natMap?.[announced]) ?? { host, port };
    return this.#addresses().get(`${mapped.host}:${mapped.port}`);
  }

  #addresses(): Map<string, Redis> {
    this.#byAddress ??= new Map(this.#cluster.nodes('all').map((node) => [addressOf(node), node]));
    return this.#byAddress;
  }

  async #primaryWithId(id: string, signal: AbortSignal | undefined): Promise<Redis> {
    await readyWithin(this.#cluster, signal);
    const primaries = this.#cluster.nodes('master');
    const ids = await Promise.all(primaries.map((node) => this.#idOf(node, signal).catch(() => undefined)));
    const index = ids.indexOf(id);
    if (index === -1) throw unknownNode(id);
    return primaries[index] as Redis;
  }

  async #describe(node: Redis, signal: AbortSignal | undefined): Promise<TransportNode> {
    return { id: await this.#idOf(node, signal), host: node.options.host ?? '127.0.0.1', port: node.options.port ?? 6379 };
  }

  /** The node's `CLUSTER MYID`, asked once per ioredis connection to it (a node keeps its id for life). */
  #idOf(node: Redis, signal: AbortSignal | undefined): Promise<string> {
    let id = this.#ids.get(node);
    if (!id) {
      const asking = this.#sendOn(node, { name: 'CLUSTER', args: ['MYID'], routingKey: null }, { signal }).then((reply) => String(reply));
      asking.then(
        (answered) => this.#idByAddress.set(addressOf(node), answered),
        () => this.#ids.delete(node),
      );
      this.#ids.set(node, asking);
      id = asking;
    }
    return id;
  }
}

/** The transport over an ioredis `Cluster`; the cluster policy is core's (see `ClusterTransport`). */
export function clusterTransport(cluster: Cluster, ownership: ClientOwnership, readFrom: ReadFrom | undefined): ClusterTransport {
  // Checked before the driver duplicates the client: a refused option leaves nothing connecting.
  const checked = readFromOption(readFrom);
  return new ClusterTransport(new IoredisClusterDriver(cluster, ownership), { readFrom: checked });
}
