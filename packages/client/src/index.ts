// The one-line start.
export { createClient, type Ferrite, type FerritePlugins, type RedisFor } from './create-client.js';
export {
  DEFAULT_PORT,
  DEFAULT_URL,
  type ClientAuthOptions,
  type ClientPluginOptions,
  type ClusterClientOptions,
  type CreateClientOptions,
  type HostClientOptions,
  type TransportClientOptions,
  type UrlClientOptions,
} from './options.js';

// The driver, for typed standard commands and for building transports by hand.
export { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
export { ioredisTransport, type IoredisTransportOptions } from '@ferrite/ioredis';

// Each package's public entry, whole: a name appears or disappears here only when it does there
// (their API reports say which). No two of them export the same name.
export * from '@ferrite/core';
export * from '@ferrite/vector';
export * from '@ferrite/semantic';
export * from '@ferrite/crdt';
export * from '@ferrite/cdc';
