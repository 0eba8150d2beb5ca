import { FerriteConnectionError, type TransportNode } from '@ferrite/core';
import { GlideClient, type GlideClientConfiguration, type GlideClusterClientConfiguration } from '@valkey/valkey-glide';
import { translateError } from './errors.js';

/**
 * The configuration of a dedicated connection: the user's own (credentials, TLS, protocol,
 * database), to one node. A cluster node is reached at the address GLIDE's `addressResolver` maps
 * its announced address to, as the cluster client reaches it.
 */
function dedicatedConfiguration(configuration: GlideClientConfiguration | GlideClusterClientConfiguration, node: TransportNode | undefined): GlideClientConfiguration {
  const { addressResolver, ...common } = configuration as GlideClusterClientConfiguration;
  if (node === undefined) return configuration as GlideClientConfiguration;
  const [host, port] = addressResolver ? addressResolver(node.host, node.port) : [node.host, node.port];
  return {
    addresses: [{ host, port }],
    credentials: common.credentials,
    useTLS: common.useTLS,
    protocol: common.protocol,
    clientName: common.clientName,
    requestTimeout: common.requestTimeout,
  };
}

/**
 * A new GLIDE client for a dedicated connection: one more connection (two sockets: GLIDE keeps a
 * management connection per client) and the handshake's round trips. `signal` (core's deadline)
 * abandons the attempt; a client that connects afterwards is closed at once.
 */
export async function dedicatedClient(
  configuration: GlideClientConfiguration | GlideClusterClientConfiguration | undefined,
  node: TransportNode | undefined,
  signal: AbortSignal | undefined,
): Promise<GlideClient> {
  if (configuration === undefined) {
    throw new FerriteConnectionError('valkey-glide: a dedicated connection needs the client configuration: glideTransport(client, { configuration })', { maybeApplied: false });
  }
  const connecting = GlideClient.createClient(dedicatedConfiguration(configuration, node));
  if (signal === undefined) return connecting.catch((error: unknown) => Promise.reject(connectFailure(error)));
  return new Promise<GlideClient>((resolve, reject) => {
    const giveUp = () => reject(new FerriteConnectionError('valkey-glide: the caller stopped waiting for the connection', { maybeApplied: false }));
    if (signal.aborted) giveUp();
    signal.addEventListener('abort', giveUp, { once: true });
    connecting.then(
      (client) => {
        signal.removeEventListener('abort', giveUp);
        if (signal.aborted) client.close();
        else resolve(client);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', giveUp);
        reject(connectFailure(error));
      },
    );
  });
}

/** Connecting sends no command of the caller's: nothing can have been applied. */
function connectFailure(error: unknown): FerriteConnectionError {
  return new FerriteConnectionError(translateError(error, 'CONNECT', undefined).message, { maybeApplied: false });
}
