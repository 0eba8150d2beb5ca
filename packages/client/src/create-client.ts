import { cdc } from '@ferrite/cdc';
import { createFerrite, type AnyPlugin, type CallOptions, type FerriteClient, type Transport } from '@ferrite/core';
import { crdt } from '@ferrite/crdt';
import { ioredisTransport } from '@ferrite/ioredis';
import { semantic } from '@ferrite/semantic';
import { vector } from '@ferrite/vector';
import { Cluster, Redis } from 'ioredis';
import { planConnection, type CreateClientOptions } from './options.js';

/** The plugins every `createClient()` client has, in order. */
export type FerritePlugins = readonly [ReturnType<typeof vector>, ReturnType<typeof semantic>, ReturnType<typeof crdt>, ReturnType<typeof cdc>];

/** The ioredis client `createClient` makes for the options given: none for `transport`, a `Cluster` for `cluster`, else a `Redis`. */
export type RedisFor<Options> = Options extends { readonly transport: Transport }
  ? undefined
  : Options extends { readonly cluster: readonly string[] }
    ? Cluster
    : Redis;

/**
 * A client with every plugin (`vector`, `semantic`, `crdt`, `cdc`), `send`, `withOptions`,
 * `close` and `await using`, plus `redis`: the ioredis client `createClient` made, for the
 * driver's typed standard commands (`client.redis.hset(...)`), or `undefined` when the client was
 * given a `transport`.
 */
export type Ferrite<Driver extends Redis | Cluster | undefined = Redis | Cluster | undefined> = Omit<FerriteClient<FerritePlugins>, 'withOptions' | 'extend'> & {
  readonly redis: Driver;
  /**
   * A view of this client whose every call uses these options (`timeout`, `signal`): same
   * plugins, state, transport and `redis`. `withOptions` does not apply to `redis` itself.
   */
  withOptions(options: CallOptions): Ferrite<Driver>;
  /** A client with one more plugin, sharing everything with this one, `redis` included. */
  extend<P extends AnyPlugin>(plugin: P): FerriteClient<readonly [...FerritePlugins, P]> & { readonly redis: Driver };
};

/**
 * Adds `redis` to a core client, and to every view and extension made of it. The core client is
 * the prototype, so its namespaces stay lazy and the wrapper costs the same whatever it holds.
 */
function withDriver<Driver extends Redis | Cluster | undefined>(ferrite: FerriteClient<FerritePlugins>, redis: Driver): Ferrite<Driver> {
  const client: object = Object.create(ferrite, {
    redis: { value: redis, enumerable: true },
    withOptions: { value: (options: CallOptions) => withDriver(ferrite.withOptions(options), redis), enumerable: true },
    extend: { value: (plugin: AnyPlugin) => withDriver(ferrite.extend(plugin) as unknown as FerriteClient<FerritePlugins>, redis), enumerable: true },
  });
  return Object.freeze(client) as Ferrite<Driver>;
}

/**
 * Connects to Ferrite with every plugin: the one-line start.
 *
 * ```ts
 * await using client = createClient(); // redis://localhost:6380
 * await client.vector.search('products', query, { topK: 5 });
 * await client.redis.set('app:version', '2.1.0');
 * ```
 *
 * Options: `url` (default `redis://localhost:6380`), or `host`/`port`, with `username`,
 * `password`, `db`, `tls`; or `cluster: [urls]` for ioredis' `Cluster`; or `transport` for any
 * transport (node-redis's, the emulator's). `timeout` (ms, default 10000) and `maxAttempts`
 * (default 3) as for `createFerrite`. Plugin defaults: `semantic: { threshold, ttl }`.
 * A wrong mix of options throws `FerriteValidationError` at once. Nothing waits for the
 * connection: commands do, and reject with `FerriteTimeoutError` when `timeout` passes while
 * ioredis is still reconnecting (or `FerriteConnectionError` once its `retryStrategy` gives up).
 *
 * The client owns what it made: `close()` closes the transport and the `redis` client.
 */
export function createClient<const Options extends CreateClientOptions = {}>(options?: Options): Ferrite<RedisFor<Options>> {
  const given: CreateClientOptions = options ?? {};
  const plan = planConnection(given);
  // Validate plugin options before opening anything, so a bad option leaves no connection behind.
  const plugins: FerritePlugins = [vector(), semantic(given.semantic), crdt(), cdc()];

  let redis: Redis | Cluster | undefined;
  let transport: Transport;
  if (plan.kind === 'transport') {
    transport = plan.transport;
  } else {
    // The user's client keeps ioredis' usual reply shapes for its typed commands; the transport
    // opens its own connection with the decoding it needs. `lazyConnect`: a client only used
    // through the plugins never opens the user's connection.
    redis = plan.kind === 'single' ? new Redis({ ...plan.options, lazyConnect: true }) : new Cluster(plan.nodes, { ...plan.options, lazyConnect: true });
    // Failures reach callers through their commands; without a listener ioredis also prints
    // every reconnect attempt as an unhandled 'error' event.
    redis.on('error', () => {});
    transport = ioredisTransport(redis, { closeClient: true });
  }

  let ferrite: FerriteClient<FerritePlugins>;
  try {
    ferrite = createFerrite({ transport, plugins, timeout: given.timeout, maxAttempts: given.maxAttempts });
  } catch (error) {
    // A bad timeout or maxAttempts: release what was opened for nothing (a transport given is the caller's).
    if (plan.kind !== 'transport') void transport.close().catch(() => {});
    throw error;
  }
  return withDriver(ferrite, redis as RedisFor<Options>);
}
