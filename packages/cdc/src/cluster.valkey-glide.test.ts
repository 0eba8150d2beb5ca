import { clusterTransportTargets } from '@ferrite/test-transports';
import { describeCdcOverCluster } from './__tests__/cluster-cases.js';

// A file per driver, so the drivers' cluster runs overlap (split-files.test.ts checks none is missing).
for (const target of clusterTransportTargets.filter((candidate) => candidate.driver === 'valkey-glide')) describeCdcOverCluster(target);
