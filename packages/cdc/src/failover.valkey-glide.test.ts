import { clusterTransportTargets } from '@ferrite/test-transports';
import { describeCdcThroughFailovers } from './__tests__/failover-cases.js';

// A file per driver, so the drivers' failover runs overlap (split-files.test.ts checks none is missing).
for (const target of clusterTransportTargets.filter((candidate) => candidate.driver === 'valkey-glide')) describeCdcThroughFailovers(target);
