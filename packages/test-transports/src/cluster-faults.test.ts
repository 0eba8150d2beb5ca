import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { describeFaultSuite, type FaultSuiteSetup, type FaultTarget } from '@ferrite/testkit';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { emulatorClusterFaultServer, type ClusterFaultServer } from './fault-servers.js';

/**
 * The fault suite on the cluster transports: an emulator cluster of 3 primaries with a fault
 * proxy in front of each, reached through ioredis' `natMap` and node-redis' `nodeAddressMap` (the
 * cluster announces the nodes' own addresses), the user's cluster client connected as usual.
 */
describeFaultSuite(
  'ioredis Cluster',
  {
    start: emulatorClusterFaultServer,
    async connect({ proxy: seed, addressMap }): Promise<FaultTarget> {
      const client = new Cluster([{ host: seed.host, port: seed.port }], { natMap: addressMap });
      client.on('error', () => {});
      return { transport: ioredisTransport(client, { closeClient: true }), teardown: async () => client.disconnect() };
    },
  } satisfies FaultSuiteSetup<ClusterFaultServer>,
);

describeFaultSuite(
  'node-redis createCluster',
  {
    start: emulatorClusterFaultServer,
    async connect({ proxy: seed, addressMap }): Promise<FaultTarget> {
      const client = createCluster({ rootNodes: [{ socket: { host: seed.host, port: seed.port } }], nodeAddressMap: addressMap });
      client.on('error', () => {});
      await client.connect();
      return {
        transport: nodeRedisTransport(client, { closeClient: true }),
        teardown: async () => {
          if (client.isOpen) client.destroy();
        },
      };
    },
  } satisfies FaultSuiteSetup<ClusterFaultServer>,
);
