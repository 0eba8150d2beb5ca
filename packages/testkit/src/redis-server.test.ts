import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';
import { redisServerMissing, startRedisServer, type RedisServer } from './redis-server.js';

const run = promisify(execFile);
const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' })).stdout.trim();

describe.skipIf(Boolean(redisServerMissing()))('test servers', () => {
  let server: RedisServer;
  let cluster: RedisCluster;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });

  it('starts a standalone redis-server on a loopback port', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await cli(server.port, 'SET', 'k', 'v')).toBe('OK');
    expect(await cli(server.port, 'GET', 'k')).toBe('v');
  });

  it('starts a 3-primary cluster with every slot assigned', async () => {
    expect(cluster.nodes).toHaveLength(3);
    for (const node of cluster.nodes) {
      const info = await cli(node.port, 'CLUSTER', 'INFO');
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_slots_assigned:16384');
      expect(info).toContain('cluster_known_nodes:3');
    }
  });

  it('stops the servers it started', async () => {
    const extra = await startRedisServer();
    await extra.stop();
    await expect(cli(extra.port, 'PING')).rejects.toThrow();
  });
});
