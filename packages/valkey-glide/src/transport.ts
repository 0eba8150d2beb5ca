import type {
  BatchEntry,
  DedicatedOptions,
  DedicatedTransport,
  ProtocolVersion,
  Reply,
  TransportNode,
  TransportSendOptions,
  TransportServer,
  TransportTopology,
  WireCommand,
} from '@ferrite/core';
import { FerriteProtocolError, slotOf } from '@ferrite/core';
import { isReadCommand, settleEach, SingleNode, sleep, STANDARD_READ_COMMANDS, TransportLifecycle, type ReadFrom } from '@ferrite/core/transport';
import { Decoder, GlideClient, GlideClusterClient, ProtocolVersion as GlideProtocol, type GlideClientConfiguration, type GlideClusterClientConfiguration, type Routes } from '@valkey/valkey-glide';
import { dedicatedClient } from './dedicated.js';
import { notText, refusedBeforeSending, refusedWhileChanging, translateError } from './errors.js';
import { normaliseReply } from './normalise.js';
import { ClusterTopology } from './topology.js';
import { TurnBatcher } from './turn-batch.js';

/** Options of `glideTransport`. */
export interface GlideTransportOptions {
  /**
   * The configuration `client` was created with (GLIDE does not let anyone read it back). The
   * transport reads its `protocol` (default RESP3), its address (for `nodes()` and tracing) and
   * its `requestTimeout`, and opens dedicated connections with it: without it `dedicated()`
   * rejects and a single node is named `localhost:6379`.
   */
  readonly configuration?: GlideClientConfiguration | GlideClusterClientConfiguration;
  /** Close the client passed in when the transport closes. Default `false`: it stays the caller's. */
  readonly closeClient?: boolean;
  /**
   * On a cluster: `'replica'` sends commands that only read (definitions marked `readonly`,
   * standard reads such as `GET`) to a replica of their shard. Default `'primary'`.
   */
  readonly readFrom?: ReadFrom;
  /**
   * Over a `GlideClient`: the commands called after the first of a synchronous turn go to GLIDE
   * as one non-atomic `Batch` (per run of one decoder) rather than one request each, about twice
   * the throughput with many calls in flight; the first of a turn, and a blocking one, goes by itself.
   * Default `true`; `false` sends every command by itself. A `GlideClusterClient` and dedicated
   * connections always send each command by itself.
   */
  readonly batchCallsPerTurn?: boolean;
}

type Client = GlideClient | GlideClusterClient;

const BYTES = { decoder: Decoder.Bytes } as const;
const TEXT = { decoder: Decoder.String } as const;

/**
 * Standard reads whose reply is text, or may be: not `DUMP`, binary by nature, which is read as
 * bytes at once rather than after a failed text read.
 */
const TEXT_READS: ReadonlySet<string> = new Set([...STANDARD_READ_COMMANDS].filter((name) => name !== 'DUMP'));

/**
 * Whether to ask GLIDE for text: it decodes a reply as text in its native core, far cheaper than
 * handing over a `Buffer` per string, but fails a reply that is not UTF-8, which core's contract
 * decodes leniently. Such a read is sent again as bytes (safe: it only reads); any other command
 * could not be, so it is read as bytes from the start.
 */
function readsAsText(command: WireCommand): boolean {
  if (command.binary === true) return false;
  // Core's definitions spell names in capitals: most calls need no upper-casing.
  return command.readonly === true || TEXT_READS.has(command.name) || TEXT_READS.has(command.name.toUpperCase());
}

/** Waits between writes of a read the cluster refused while changing: growing, and short against core's deadlines. */
const REFUSED_READ_WAIT_MS = 20;
const MAX_REFUSED_READ_WAIT_MS = 200;


/**
 * A text GLIDE hashes to the same slot as a binary key (GLIDE takes route keys as strings and
 * hashes their UTF-8 bytes): the key itself when it is UTF-8, else its hash tag `{…}` when that is.
 */
function slotKeyText(key: Buffer): string | undefined {
  const utf8 = (bytes: Buffer): string | undefined => {
    const text = bytes.toString('utf8');
    return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
  };
  const whole = utf8(key);
  if (whole !== undefined) return whole;
  const open = key.indexOf(0x7b);
  const close = open < 0 ? -1 : key.indexOf(0x7d, open + 1);
  const tag = close > open + 1 ? utf8(key.subarray(open + 1, close)) : undefined;
  return tag === undefined ? undefined : `{${tag}}`;
}

/** What GLIDE writes: the name, then the arguments (built without spreading, once per call). */
function wireArgs(command: WireCommand): Array<string | Buffer> {
  const { name, args } = command;
  const all = new Array<string | Buffer>(args.length + 1);
  all[0] = name;
  for (let index = 0; index < args.length; index++) all[index + 1] = args[index] as string | Buffer;
  return all;
}

/** A command on its way: what is written, and how its reply is read. */
interface Request {
  readonly command: WireCommand;
  readonly args: Array<string | Buffer>;
  /** Read the reply as text ({@link readsAsText}); else as bytes. */
  readonly text: boolean;
  /** Core's options of the call, kept whole: core makes the call's signal only when it is first read. */
  readonly options: TransportSendOptions | undefined;
}

/** A connection as the server knows it (`CLIENT INFO`): its id, and the address it comes from. */
interface ConnectionIdentity {
  readonly id: string;
  readonly address: string;
}

function identityOf(info: string): ConnectionIdentity {
  const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(info)?.[1];
  const id = field('id');
  const address = field('addr');
  if (id === undefined || address === undefined) throw new FerriteProtocolError(`CLIENT INFO named no id and addr: ${JSON.stringify(info.slice(0, 200))}`);
  return { id, address };
}

/** What a dedicated connection's transport knows of its parent. */
interface DedicatedSettings {
  /** The node it is connected to, as its parent names it. */
  readonly node: TransportNode;
  /** Ends the connection at the server, before GLIDE's client is closed. */
  readonly endAtServer: () => Promise<void>;
  /** Tells the parent it closed. */
  readonly onClosed: () => void;
}

/** The one node of a single-node client, or the cluster's topology as GLIDE's client sees it. */
type Topology = { readonly kind: 'single'; readonly node: SingleNode } | { readonly kind: 'cluster'; readonly cluster: ClusterTopology };

function protocolOf(configuration: GlideTransportOptions['configuration']): ProtocolVersion {
  return configuration?.protocol === GlideProtocol.RESP2 ? 2 : 3;
}

/** A transport over one GLIDE client: the user's, or a dedicated one the transport opened. */
class GlideTransport implements DedicatedTransport {
  readonly name = 'valkey-glide';
  readonly protocol: ProtocolVersion;
  readonly server: TransportServer | undefined;
  /** A `GlideClusterClient` reaches a cluster; a `GlideClient` (also a dedicated connection to one cluster node) one server. */
  readonly topology: TransportTopology;
  readonly #client: Client;
  readonly #options: GlideTransportOptions;
  readonly #topology: Topology;
  readonly #lifecycle = new TransportLifecycle('valkey-glide');
  readonly #dedicated: DedicatedSettings | undefined;
  /** Gathers the commands of a turn into one GLIDE batch ({@link GlideTransportOptions.batchCallsPerTurn}). */
  readonly #batcher: TurnBatcher | undefined;

  constructor(client: Client, options: GlideTransportOptions, dedicated?: DedicatedSettings) {
    this.#client = client;
    this.#options = options;
    this.#dedicated = dedicated;
    const node = dedicated?.node;
    this.protocol = protocolOf(options.configuration);
    const address = options.configuration?.addresses[0];
    if (client instanceof GlideClusterClient) {
      this.#topology = { kind: 'cluster', cluster: new ClusterTopology(client) };
      this.topology = 'cluster';
      this.server = undefined;
    } else {
      const host = node?.host ?? address?.host ?? 'localhost';
      const port = node?.port ?? address?.port ?? 6379;
      this.#topology = { kind: 'single', node: new SingleNode(host, port, node?.id) };
      this.topology = 'single';
      const database = options.configuration !== undefined && 'databaseId' in options.configuration ? options.configuration.databaseId : undefined;
      this.server = { address: host, port, database: database ?? 0 };
    }
    this.#batcher = client instanceof GlideClient && dedicated === undefined && options.batchCallsPerTurn !== false ? new TurnBatcher(client, this.#lifecycle) : undefined;
  }

  nodes(): Promise<readonly TransportNode[]> {
    return this.#topology.kind === 'single' ? this.#topology.node.nodes() : this.#topology.cluster.nodes();
  }

  send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    let route: Routes | undefined | Promise<Routes>;
    try {
      route = this.#route(command, options?.node);
    } catch (error) {
      return Promise.reject(error);
    }
    const request: Request = { command, args: wireArgs(command), text: readsAsText(command), options };
    // Only a call for one cluster node waits for the topology: the others go out in this turn.
    if (route instanceof Promise) return route.then((resolved) => this.#attempt(request, resolved, 1));
    return this.#attempt(request, route, 1);
  }

  /** One write of the request, settled with its normalised reply, or handed to {@link #afterFailure}. */
  #attempt(request: Request, route: Routes | undefined, attempt: number): Promise<Reply> {
    // A client the transport closes settles every request in flight itself when closed (GLIDE's
    // `close()` rejects them): GLIDE's promise is enough, which saves a promise and the
    // lifecycle's bookkeeping per call.
    if (this.#options.closeClient === true) {
      // Nothing is written once the transport is closing (a call for one node resolved its route meanwhile).
      if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
      return this.#write(request, route).then(
        (raw) => normaliseReply(raw, request.command, this.protocol),
        (error: unknown) => this.#afterFailure(error, request, route, attempt),
      );
    }
    // The user's client stays open: the lifecycle settles the calls still pending when the transport closes.
    return new Promise<Reply>((resolve, reject) => {
      // Throws, so rejects, once the transport is closed: nothing is written then.
      const watched = this.#lifecycle.watch(reject);
      this.#write(request, route).then(
        (raw) => {
          this.#lifecycle.unwatch(watched);
          try {
            resolve(normaliseReply(raw, request.command, this.protocol));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          this.#lifecycle.unwatch(watched);
          resolve(this.#afterFailure(error, request, route, attempt));
        },
      );
    });
  }

  /**
   * What a failed request becomes. A read whose reply was not UTF-8 is read again as bytes at
   * once. A read the cluster refused while changing (`MOVED`, `CLUSTERDOWN`, `TRYAGAIN` handed
   * over for a request with an explicit route, while GLIDE refreshes its slot map) is written
   * again, until core's deadline (the signal) or the transport's close: a read is safe to repeat.
   * Nothing else is written again here, since GLIDE's cluster core may have written an earlier
   * attempt of it (see errors.ts): it rejects with `maybeApplied: true`, and core retries the
   * commands whose definitions say they are safe to.
   */
  async #afterFailure(error: unknown, request: Request, route: Routes | undefined, attempt: number): Promise<Reply> {
    const { command } = request;
    // Read only now: a call that succeeds never costs core a signal.
    const signal = request.options?.signal;
    if (request.text && notText(error) && signal?.aborted !== true) return this.#attempt({ ...request, text: false }, route, attempt);
    // A call for one node gets the server's redirect as the server's error.
    const toOneNode = typeof route === 'object' && route.type === 'routeByAddress';
    const refused = toOneNode ? undefined : refusedWhileChanging(error);
    if (refused === undefined) throw translateError(error, command.name, this.#options.configuration?.requestTimeout);
    if (!isReadCommand(command) || signal?.aborted) throw refused;
    await sleep(Math.min(REFUSED_READ_WAIT_MS * attempt, MAX_REFUSED_READ_WAIT_MS), signal);
    // A call given up meanwhile is never written late.
    if (signal?.aborted || this.#lifecycle.closed) throw refused;
    return this.#attempt(request, route, attempt + 1);
  }

  /** Hands the command to GLIDE; a client already closed throws at once (nothing written). */
  #write({ command, args, text }: Request, route: Routes | undefined): Promise<unknown> {
    if (this.#batcher !== undefined) return this.#batcher.write(command, args, text);
    try {
      if (route === undefined) return this.#client.customCommand(args, text ? TEXT : BYTES);
      return (this.#client as GlideClusterClient).customCommand(args, { decoder: text ? Decoder.String : Decoder.Bytes, route });
    } catch (error) {
      return Promise.reject(refusedBeforeSending(error));
    }
  }

  /** GLIDE pipelines the requests in flight on a connection by itself: a batch is its commands sent together. */
  batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    if (this.#lifecycle.closed) return Promise.reject(this.#lifecycle.closedError());
    return settleEach(
      commands.map((command) => this.send(command, options)),
      this.name,
    );
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    this.#lifecycle.assertOpen();
    const node = this.#topology.kind === 'single' ? (this.#topology.node.assert(options?.node), this.#topology.node.node) : await this.#topology.cluster.dedicatedNode(options);
    const client = await this.#lifecycle.track(dedicatedClient(this.#options.configuration, this.#topology.kind === 'cluster' ? node : undefined, options?.signal));
    let identity: ConnectionIdentity;
    try {
      identity = identityOf(String(await this.#lifecycle.track(client.customCommand(['CLIENT', 'INFO']))));
    } catch (error) {
      client.close();
      throw translateError(error, 'CLIENT', undefined);
    }
    const route = this.#topology.kind === 'cluster' ? await this.#topology.cluster.routeTo(node.id) : undefined;
    const opened: GlideTransport = new GlideTransport(client, { configuration: this.#options.configuration, closeClient: true }, {
      node,
      // GLIDE's close() leaves the connection open for about two seconds, and for as long as a
      // call on it waits (up to GLIDE's requestTimeout): the server would keep its state meanwhile.
      endAtServer: () => this.#endConnection(identity, route),
      onClosed: () => this.#lifecycle.forget(opened),
    });
    if (this.#lifecycle.closed) {
      await opened.close();
      this.#lifecycle.assertOpen();
    }
    return this.#lifecycle.adopt(opened);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      // GLIDE's close() settles the calls at once but ends the connection later: a dedicated one is
      // ended at the server too (a CDC subscription must not outlive it).
      if (this.#options.closeClient === true) this.#client.close();
      await this.#dedicated?.endAtServer();
      this.#dedicated?.onClosed();
    });
  }

  /**
   * Ends a dedicated connection at the server, through this transport's own client; it may be
   * gone already. By id and address together: a restarted server numbers clients from 1 again,
   * and the id alone could name somebody else's connection by then.
   */
  async #endConnection(identity: ConnectionIdentity, route: Routes | undefined): Promise<void> {
    const kill = ['CLIENT', 'KILL', 'ID', identity.id, 'ADDR', identity.address];
    await (route === undefined ? this.#client.customCommand(kill) : (this.#client as GlideClusterClient).customCommand(kill, { route })).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** GLIDE's route for a command: by the slot of its routing key, or to the node asked for; none lets GLIDE decide. */
  #route(command: WireCommand, node: string | undefined): Routes | undefined | Promise<Routes> {
    if (this.#topology.kind === 'single') {
      this.#topology.node.assert(node);
      return undefined;
    }
    if (node !== undefined) return this.#topology.cluster.routeTo(node);
    const key = command.routingKey;
    if (key === undefined || key === null) return undefined;
    const replica = this.#options.readFrom === 'replica' && isReadCommand(command);
    const text = typeof key === 'string' ? key : slotKeyText(key);
    if (text !== undefined) return { type: replica ? 'replicaSlotKey' : 'primarySlotKey', key: text };
    // Last resort: GLIDE 2.5 did not always send a slot-id route to the slot's owner here.
    return { type: replica ? 'replicaSlotId' : 'primarySlotId', id: slotOf(key) };
  }
}

/**
 * A Ferrite transport over a Valkey GLIDE 2 `GlideClient` or `GlideClusterClient`. On a cluster,
 * routing, topology refresh, redirects and failover are GLIDE's: each command goes out with a
 * route by its routing key's slot. Deadlines belong to the client built on it:
 * `createFerrite({ transport, timeout })`.
 *
 * @example
 * const configuration = { addresses: [{ host: '127.0.0.1', port: 6379 }], requestTimeout: 10_000 };
 * const ferrite = createFerrite({ transport: glideTransport(await GlideClient.createClient(configuration), { configuration }) });
 */
export function glideTransport(client: GlideClient | GlideClusterClient, options: GlideTransportOptions = {}): DedicatedTransport {
  return new GlideTransport(client, options);
}
