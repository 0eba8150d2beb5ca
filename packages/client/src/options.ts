import { FerriteValidationError, type Transport } from '@ferrite/core';
import type { SemanticPluginOptions } from '@ferrite/semantic';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

/**
 * The port `createClient` uses wherever none is given, however the server is addressed (`url`
 * without a port, `host` alone, a `cluster` seed URL): 6380, Ferrite's port (the emulator's and
 * the Python thin client's too). One default, so the same options reach the same server; a plain
 * Redis on 6379 is named with its port.
 */
export const DEFAULT_PORT = 6380;

/** Where `createClient()` connects when given nothing. */
export const DEFAULT_URL = `redis://localhost:${DEFAULT_PORT}`;

/** Options every client takes, whatever it connects through. */
export interface ClientPluginOptions {
  /**
   * Deadline of every call in milliseconds, all attempts included; then it rejects with
   * `FerriteTimeoutError`. Default 10000; `Infinity` disables it. Per call: `client.withOptions({ timeout })`.
   */
  readonly timeout?: number;
  /** Attempts of a retryable command after connection failures, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Defaults of `client.semantic` (threshold, TTL). */
  readonly semantic?: SemanticPluginOptions;
}

/** Credentials and TLS, for a single node (`url`, `host`/`port`) or every node of a cluster. */
export interface ClientAuthOptions {
  /** ACL user name (Redis 6+). Overrides the URL's. */
  readonly username?: string;
  /** Password (`AUTH`). Overrides the URL's. */
  readonly password?: string;
  /** `true`, or Node's TLS options, to connect over TLS. A `rediss://` URL turns it on too. */
  readonly tls?: boolean | TlsOptions;
}

interface NoTransport {
  readonly transport?: undefined;
}

/** Connect to one node by URL: `redis[s]://[[user]:password@]host[:port][/db]`. */
export interface UrlClientOptions extends ClientPluginOptions, ClientAuthOptions, NoTransport {
  /** Default `redis://localhost:6380`. */
  readonly url?: string;
  /** Database number, 0 to 15 on the emulator. Overrides the URL's path. */
  readonly db?: number;
  /** More ioredis options for the connection (`connectTimeout`, `retryStrategy`, `protocol`, …). */
  readonly redisOptions?: RedisOptions;
  readonly host?: undefined;
  readonly port?: undefined;
  readonly cluster?: undefined;
}

/** Connect to one node by host and port. */
export interface HostClientOptions extends ClientPluginOptions, ClientAuthOptions, NoTransport {
  /** Default `localhost`. */
  readonly host?: string;
  /** Default 6380. */
  readonly port?: number;
  /** Database number. */
  readonly db?: number;
  /** More ioredis options for the connection. */
  readonly redisOptions?: RedisOptions;
  readonly url?: undefined;
  readonly cluster?: undefined;
}

/** Connect to a cluster through ioredis' `Cluster`, starting from these nodes' URLs. */
export interface ClusterClientOptions extends ClientPluginOptions, ClientAuthOptions, NoTransport {
  /** At least one node, e.g. `['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379']`; the others are discovered. */
  readonly cluster: readonly string[];
  /** ioredis options for each node's connection. */
  readonly redisOptions?: RedisOptions;
  /** More ioredis `Cluster` options (`scaleReads`, `natMap`, …). */
  readonly clusterOptions?: Omit<ClusterOptions, 'redisOptions'>;
  readonly url?: undefined;
  readonly host?: undefined;
  readonly port?: undefined;
  readonly db?: undefined;
}

/** Use a transport made elsewhere: node-redis (`nodeRedisTransport`), the emulator's, your own. */
export interface TransportClientOptions extends ClientPluginOptions {
  /** The transport; the client closes it when it closes. */
  readonly transport: Transport;
  readonly url?: undefined;
  readonly host?: undefined;
  readonly port?: undefined;
  readonly db?: undefined;
  readonly cluster?: undefined;
  readonly username?: undefined;
  readonly password?: undefined;
  readonly tls?: undefined;
  readonly redisOptions?: undefined;
}

/**
 * What `createClient` takes: one way to reach the server (`url`, `host`/`port`, `cluster` or a
 * ready `transport`; mixing them is a `FerriteValidationError`), plus the client-wide options.
 */
export type CreateClientOptions = UrlClientOptions | HostClientOptions | ClusterClientOptions | TransportClientOptions;

/** Where the client's connection comes from, once the options are checked. */
export type ConnectionPlan =
  | { readonly kind: 'transport'; readonly transport: Transport }
  | { readonly kind: 'single'; readonly options: RedisOptions }
  | { readonly kind: 'cluster'; readonly nodes: Array<{ host: string; port: number }>; readonly options: ClusterOptions };

interface ParsedUrl {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: TlsOptions;
}

function parseUrl(text: unknown, field: string): ParsedUrl {
  if (typeof text !== 'string') throw new FerriteValidationError(field, `expected a URL string, got ${typeof text}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FerriteValidationError(field, `${JSON.stringify(text)} is not a URL (expected redis://host:port)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new FerriteValidationError(field, `unsupported scheme ${JSON.stringify(url.protocol)}: use redis:// or rediss://`);
  }
  const parsed: ParsedUrl = {
    // WHATWG keeps IPv6 hosts in brackets; net.connect wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: url.port === '' ? DEFAULT_PORT : Number(url.port),
  };
  if (url.username !== '') parsed.username = decodeURIComponent(url.username);
  if (url.password !== '') parsed.password = decodeURIComponent(url.password);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') {
    if (!/^\d+$/.test(path)) throw new FerriteValidationError(field, `the path must be a database number, got ${JSON.stringify(path)}`);
    parsed.db = Number(path);
  }
  if (url.protocol === 'rediss:') parsed.tls = {};
  return parsed;
}

function assertPort(port: unknown): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FerriteValidationError('port', `expected an integer from 1 to 65535, got ${String(port)}`);
  }
}

function assertDb(db: unknown): asserts db is number {
  if (typeof db !== 'number' || !Number.isSafeInteger(db) || db < 0) {
    throw new FerriteValidationError('db', `expected a whole number ≥ 0, got ${String(db)}`);
  }
}

function assertOptionalString(value: unknown, field: string): asserts value is string | undefined {
  if (value !== undefined && typeof value !== 'string') throw new FerriteValidationError(field, `expected a string, got ${typeof value}`);
}

/** Auth and TLS: explicit options win over what a URL carried. */
function auth(options: ClientAuthOptions, fromUrl: Partial<ParsedUrl>): Partial<RedisOptions> {
  assertOptionalString(options.username, 'username');
  assertOptionalString(options.password, 'password');
  const result: Partial<RedisOptions> = {};
  const username = options.username ?? fromUrl.username;
  const password = options.password ?? fromUrl.password;
  if (username !== undefined) result.username = username;
  if (password !== undefined) result.password = password;
  const tls = options.tls === undefined ? fromUrl.tls : options.tls === true ? {} : options.tls === false ? undefined : options.tls;
  if (tls !== undefined) result.tls = tls;
  return result;
}

function present(options: object, names: readonly string[]): string[] {
  return names.filter((name) => (options as Record<string, unknown>)[name] !== undefined);
}

/** Checks the options (a wrong mix throws `FerriteValidationError`) and says how to connect. */
export function planConnection(options: CreateClientOptions): ConnectionPlan {
  if (typeof options !== 'object' || options === null) throw new FerriteValidationError('options', 'expected an object');
  if (options.transport !== undefined) {
    const clashing = present(options, ['url', 'host', 'port', 'db', 'cluster', 'username', 'password', 'tls', 'redisOptions']);
    if (clashing.length > 0) {
      throw new FerriteValidationError('transport', `cannot be combined with ${clashing.join(', ')}: the transport is already connected`);
    }
    if (typeof options.transport.send !== 'function') throw new FerriteValidationError('transport', 'expected a Ferrite transport');
    return { kind: 'transport', transport: options.transport };
  }
  if (options.cluster !== undefined) {
    const clashing = present(options, ['url', 'host', 'port', 'db']);
    if (clashing.length > 0) throw new FerriteValidationError('cluster', `cannot be combined with ${clashing.join(', ')}`);
    if (!Array.isArray(options.cluster) || options.cluster.length === 0) {
      throw new FerriteValidationError('cluster', 'expected a non-empty array of node URLs');
    }
    const parsed = options.cluster.map((url, i) => parseUrl(url, `cluster[${i}]`));
    if (parsed.some((node) => node.db !== undefined && node.db !== 0)) {
      throw new FerriteValidationError('cluster', 'a cluster has only database 0');
    }
    const withAuth = parsed.find((node) => node.password !== undefined || node.username !== undefined) ?? {};
    const redisOptions: RedisOptions = { ...options.redisOptions, ...auth(options, { ...withAuth, tls: parsed[0]?.tls }) };
    return {
      kind: 'cluster',
      nodes: parsed.map(({ host, port }) => ({ host, port })),
      options: { ...options.clusterOptions, redisOptions },
    };
  }
  const byHost = options.host !== undefined || options.port !== undefined;
  if (byHost && options.url !== undefined) throw new FerriteValidationError('url', 'give either url or host/port, not both');
  const fromUrl: ParsedUrl = byHost ? { host: 'localhost', port: DEFAULT_PORT } : parseUrl(options.url ?? DEFAULT_URL, 'url');
  if (options.host !== undefined) {
    if (typeof options.host !== 'string' || options.host === '') throw new FerriteValidationError('host', 'expected a non-empty string');
    fromUrl.host = options.host;
  }
  if (options.port !== undefined) {
    assertPort(options.port);
    fromUrl.port = options.port;
  }
  assertPort(fromUrl.port);
  const db = options.db ?? fromUrl.db;
  if (db !== undefined) assertDb(db);
  return {
    kind: 'single',
    options: {
      ...options.redisOptions,
      host: fromUrl.host,
      port: fromUrl.port,
      ...(db === undefined ? {} : { db }),
      ...auth(options, fromUrl),
    },
  };
}
