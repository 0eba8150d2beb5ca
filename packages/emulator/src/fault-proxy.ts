import { createServer, type Socket } from 'node:net';
import { Link, type CutMode } from './fault-proxy/link.js';
import type { Faults } from './fault-proxy/pipe.js';
import { resetSocket } from './fault-proxy/socket-reset.js';
import { listen } from './listen.js';

export type { CutMode } from './fault-proxy/link.js';

/** Where the fault proxy listens and what it forwards to. */
export interface FaultProxyOptions {
  /** The server to forward to, e.g. a Ferrite emulator or a redis-server. */
  readonly target: { readonly host?: string; readonly port: number };
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on. Default `0` (a free port; read it from `proxy.port`). */
  readonly port?: number;
}

/**
 * A TCP proxy in front of a server whose faults a test switches while connections are open.
 * Faults apply at once to open and new connections and combine (`delay` with `fragment`, say);
 * `passThrough()` clears them all. It forwards any TCP protocol; only `dropNextReply()` reads
 * the bytes, as RESP.
 *
 * Socket errors never escape: clients that vanish or reset are normal here.
 *
 * @example
 * await using proxy = await faultProxy({ target: { port: server.port } });
 * const redis = new Redis(proxy.url);
 * proxy.dropNextReply();
 * await expect(redis.incr('n')).rejects.toThrow(); // applied by the server, never answered
 */
export interface FaultProxy extends AsyncDisposable {
  /** The interface the proxy listens on. */
  readonly host: string;
  /** The port the proxy listens on. */
  readonly port: number;
  /** `redis://host:port` of the proxy, for a client's connection options. */
  readonly url: string;
  /** Client connections open now. */
  readonly connections: number;

  /** Clears every fault: no delay, no fragmenting, no blackhole, accept connections, drop no reply. Bytes already delayed keep their delay. */
  passThrough(): void;
  /** Holds every chunk, in both directions, for `ms` milliseconds after it arrives (order is kept). `0` turns the delay off. */
  delay(ms: number): void;
  /** Writes everything one byte at a time, yielding to the event loop between bytes, so peers really read single bytes. */
  fragment(on?: boolean): void;
  /** Keeps connections open but forwards nothing: bytes are discarded, not kept for later. FIN and RST still pass. */
  blackhole(on?: boolean): void;
  /**
   * Ends every open connection, on both sides: `fin` closes gracefully (the client sees `end`),
   * `rst` resets (the client sees ECONNRESET). Bytes still queued are dropped. Resolves when the
   * sockets on both sides are closed. Default `fin`.
   */
  cut(options?: { readonly mode?: CutMode }): Promise<void>;
  /** Resets each new connection as soon as it is accepted; open connections are unaffected. */
  refuseNewConnections(on?: boolean): void;
  /**
   * The next request a client sends (its next chunk, on any connection) is forwarded, but the
   * server's complete RESP reply to that command is discarded; later replies pass. Call it twice
   * to drop the replies of the next two requests. Counts replies in order, so it assumes one reply
   * per command (not for SUBSCRIBE, MONITOR or CLIENT REPLY OFF connections); RESP3 pushes pass.
   * On traffic that is not RESP it drops the target's next chunk instead.
   *
   * Arm it once the client is connected and ready: a driver's connection handshake (HELLO,
   * the ready check) is a request too. Drivers pair replies with commands by order, so the
   * connection stays out of step afterwards; follow with `cut()` to model a lost reply.
   */
  dropNextReply(): void;
  /** Stops listening and closes every socket, client and target side. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts a fault proxy on loopback in front of `options.target`. */
export async function faultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = { host: options.target.host ?? '127.0.0.1', port: options.target.port };
  // Checked here: a bad port would otherwise throw inside the connection handler, for every client.
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new RangeError(`fault proxy: target.port must be an integer from 1 to 65535, got ${target.port}`);
  }
  const faults: Faults = { delayMs: 0, fragment: false, blackhole: false };
  const links = new Set<Link>();
  let refusing = false;
  let dropRequests = 0;
  let closing: Promise<void> | undefined;

  const controls = {
    faults,
    takeDropRequest() {
      if (dropRequests === 0) return false;
      dropRequests--;
      return true;
    },
  };

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client: Socket) => {
    client.on('error', () => {});
    if (refusing || closing) return resetSocket(client);
    const link = new Link(client, target, controls);
    links.add(link);
    void link.closed.then(() => links.delete(link));
  });
  server.on('error', () => {}); // only listen() can fail, and that is reported below

  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: not listening on TCP');
  const port = address.port;

  const proxy: FaultProxy = {
    host,
    port,
    url: `redis://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get connections() {
      let open = 0;
      for (const link of links) if (link.open) open++;
      return open;
    },
    passThrough() {
      faults.delayMs = 0;
      faults.fragment = false;
      faults.blackhole = false;
      refusing = false;
      dropRequests = 0;
      for (const link of links) link.forgetDrops();
    },
    delay(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`fault proxy: delay must be a finite number of milliseconds >= 0, got ${ms}`);
      faults.delayMs = ms;
    },
    fragment(on = true) {
      faults.fragment = on;
    },
    blackhole(on = true) {
      faults.blackhole = on;
    },
    async cut({ mode = 'fin' } = {}) {
      const cutting = [...links].filter((link) => link.open);
      for (const link of cutting) link.cut(mode);
      await Promise.all(cutting.map((link) => link.closed));
    },
    refuseNewConnections(on = true) {
      refusing = on;
    },
    dropNextReply() {
      dropRequests++;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const link of links) link.destroy();
      }).then(() => Promise.all([...links].map((link) => link.closed)).then(() => undefined));
      return closing;
    },
    [Symbol.asyncDispose]() {
      return proxy.close();
    },
  };
  return proxy;
}
