/** The raw-vs-SDK cluster throughput case at a tiny size: its rows and checks, no assertion about speed. */
import { startEmulatorCluster } from '@ferrite/emulator';
import { describe, expect, it } from 'vitest';
import { benchClusterThroughput } from './cluster-throughput.js';

describe.each(['ioredis', 'node-redis'] as const)('raw vs SDK throughput over a %s cluster client (emulator cluster)', (driver) => {
  it('measures both side by side, 64 in flight over every primary, and judges the ratio', async () => {
    const cluster = await startEmulatorCluster({ primaries: 3 });
    try {
      const rows = await benchClusterThroughput(driver, cluster.url, 64);
      expect(rows.map((row) => row.name)).toEqual([
        `GET 64 in flight, raw ${driver} cluster client (emulator cluster)`,
        `GET 64 in flight, ferrite.send (${driver} cluster, emulator cluster)`,
      ]);
      for (const row of rows) expect(row.opsPerSecond).toBeGreaterThan(0);
      expect(rows[1]?.goal).toMatch(/^≥ 0\.95 of the driver's own cluster client \(is \d+\.\d{3}\)$/);
      expect(typeof rows[1]?.pass).toBe('boolean');
    } finally {
      await cluster.close();
    }
  }, 60_000);
});
