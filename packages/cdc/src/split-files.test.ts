import { readdirSync } from 'node:fs';
import { clusterTransportTargets, transportTargets } from '@ferrite/test-transports';
import { describe, expect, it } from 'vitest';

// The fault, cluster and failover cases run a file per driver (so they overlap): a driver added to the
// targets without its file would silently not be tested.
describe('the suites split by driver', () => {
  const files = readdirSync(new URL('.', import.meta.url));
  it.each([...new Set(transportTargets.map((target) => target.driver))])('has faults.%s.test.ts', (driver) => {
    expect(files).toContain(`faults.${driver}.test.ts`);
  });
  it.each([...new Set(clusterTransportTargets.map((target) => target.driver))])('has cluster.%s.test.ts', (driver) => {
    expect(files).toContain(`cluster.${driver}.test.ts`);
  });
  it.each([...new Set(clusterTransportTargets.map((target) => target.driver))])('has failover.%s.test.ts', (driver) => {
    expect(files).toContain(`failover.${driver}.test.ts`);
  });
});
