import type { WireCommand } from '@ferrite/core';
import { startEmulatorCluster, type RunningEmulatorCluster } from '@ferrite/emulator';
import { describeTransportConformance } from '@ferrite/testkit';
import { describe, expect, it } from 'vitest';
import { CLUSTER_PRIMARIES, clusterTransportTargets, connectClusterTransport, movedCount, readsExactIntegers, type ClusterDriver } from './index.js';

const cmd = (name: string, ...args: string[]): WireCommand => ({ name, args });

// The transport conformance suite on the emulator cluster, through each driver's cluster client,
// RESP2 and RESP3; its single-node cases (SELECT, a dedicated connection without a key) run their
// cluster equivalents (ConformanceOptions.cluster).
for (const target of clusterTransportTargets) {
  describe(`conformance on the emulator cluster (${target.label})`, () => {
    let cluster: RunningEmulatorCluster | undefined;
    describeTransportConformance(
      target.label,
      async () => {
        cluster = await startEmulatorCluster({ primaries: CLUSTER_PRIMARIES });
        const running = cluster;
        return {
          transport: await connectClusterTransport(running, target.driver as ClusterDriver, target.protocol),
          teardown: () => running.close(),
          // The emulator has no BLPOP: a blocking CDC.POLL on the key's node, released by a write of the key.
          holdConnection: async (dedicated, key) => {
            const subscription = await dedicated.send({ name: 'CDC.SUBSCRIBE', args: [key], routingKey: key });
            return { reply: dedicated.send({ name: 'CDC.POLL', args: [String(subscription), 'BLOCK', '0'], routingKey: key }), release: cmd('SET', key, 'x') };
          },
        };
      },
      // The emulator has no CLUSTER SETSLOT/MIGRATE (it moves slots with moveSlot): that one case is
      // gated; the plugin suites' "while the slot … moves" cases cover resharding on the emulator.
      { protocol: target.protocol, cluster: { primaries: CLUSTER_PRIMARIES, setslotMigrate: false }, exactIntegers: readsExactIntegers(target) },
    );
    it('sent every command to its slot owner: no MOVED from any primary while the suite ran', () => {
      expect(cluster).toBeDefined();
      expect(movedCount(cluster as RunningEmulatorCluster)).toBe(0);
    });
  });
}
