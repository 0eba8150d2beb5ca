/** The raw-vs-SDK throughput case at a tiny size: its rows and checks, no assertion about speed. */
import { describe, expect, it } from 'vitest';
import { redisServerMissing, startRedisServer } from '../redis-server.js';
import { benchDriverThroughput } from './driver-throughput.js';

const missing = redisServerMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing}; CI=true requires it`);

describe.skipIf(Boolean(missing)).each(['ioredis', 'node-redis', 'valkey-glide'] as const)('raw vs SDK throughput over %s (redis-server)', (driver) => {
  it('measures both side by side, sequential and 64 in flight, and judges the ratio', async () => {
    const server = await startRedisServer();
    try {
      const rows = await benchDriverThroughput(driver, server.url, 64);
      expect(rows.map((row) => row.name)).toEqual([
        `GET sequential, raw ${driver} (redis-server)`,
        `GET sequential, ferrite.send (${driver}, redis-server)`,
        `GET 64 in flight, raw ${driver} (redis-server)`,
        `GET 64 in flight, ferrite.send (${driver}, redis-server)`,
        expect.stringMatching(new RegExp(`^GET 64 in flight, raw ${driver} `)),
        `GET 64 in flight, ferrite.send (${driver}) against the tuned driver`,
        // GLIDE only: core's share, over a transport that hands GLIDE's promise to core as it is.
        ...(driver === 'valkey-glide'
          ? [`GET 64 in flight, raw ${driver} (redis-server), for the row below`, `GET 64 in flight, ferrite.send over a pass-through transport (${driver}): core's share`]
          : []),
      ]);
      for (const row of rows) expect(row.opsPerSecond).toBeGreaterThan(0);
      expect(rows[3]?.goal).toMatch(/^≥ 0\.95 of raw throughput \(is \d+\.\d{3}\)$/);
      expect(typeof rows[3]?.pass).toBe('boolean');
      expect(rows[5]?.goal).toMatch(/^shown, not judged \(is \d+\.\d{3} of the tuned driver\)$/);
      expect(rows[5]?.pass).toBeUndefined();
      if (driver === 'valkey-glide') expect(rows[7]?.goal).toMatch(/^shown, not judged \(is \d+\.\d{3} of raw\)$/);
    } finally {
      await server.close();
    }
  }, 60_000);
});
