import { transportTargets } from '@ferrite/test-transports';
import { describeCdcUnderFaults } from './__tests__/faults-cases.js';

// A file per driver, so the drivers' fault runs overlap (split-files.test.ts checks none is missing).
for (const target of transportTargets.filter((candidate) => candidate.driver === 'valkey-glide')) describeCdcUnderFaults(target);
