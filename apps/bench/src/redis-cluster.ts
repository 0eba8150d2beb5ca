/** A throwaway 6-node Redis Cluster (3 primaries, a replica each) for the failover case. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOST = '127.0.0.1';

export interface BenchRedisCluster {
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The port of the primary serving each slot, as a live node says now. */
  slotOwners(): Promise<Map<number, number>>;
  /** SIGKILL, as `kill -9`: no goodbye to clients or to the other nodes. Resolves once it has exited. */
  kill(port: number): Promise<void>;
  close(): Promise<void>;
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10 000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
      });
    });
    if (port + 10000 < 65536 && (await listens(port + 10000))) return port;
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { encoding: 'utf8' })).stdout;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts the cluster (`cluster-node-timeout` as given); resolves once every replica is synced and listed by every node. */
export async function startRedisCluster(nodeTimeoutMs: number): Promise<BenchRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrite-bench-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const close = async () => {
    await Promise.all(
      [...processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) {
      const port = await freeClusterPort();
      ports.push(port);
      const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs));
      processes.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports) await until(`redis-server on ${port}`, async () => (await cli(port, 'PING')).trim() === 'PONG');
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
    for (const port of ports) {
      await until(`cluster_state:ok on ${port}`, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
      // Clients read replicas from CLUSTER SLOTS, which lists one only once it has synced.
      await until(`every replica in CLUSTER SLOTS of ${port}`, async () => ((await cli(port, 'CLUSTER', 'SLOTS')).match(/^[0-9a-f]{40}$/gm) ?? []).length === 6);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const alive = () => [...processes].filter(([, child]) => child.exitCode === null && child.signalCode === null).map(([port]) => port);
  return {
    nodes: [...processes.keys()].map((port) => ({ host: HOST, port })),
    async slotOwners() {
      for (const port of alive()) {
        const text = await cli(port, 'CLUSTER', 'NODES').catch(() => '');
        if (text === '') continue;
        const owners = new Map<number, number>();
        for (const line of text.trim().split('\n')) {
          const [, address = '', flags = '', , , , , , ...ranges] = line.trim().split(' ');
          if (!flags.includes('master') || flags.includes('fail')) continue;
          const owner = Number(address.split('@')[0]?.split(':')[1]);
          for (const range of ranges.filter((entry) => !entry.startsWith('['))) {
            const [start, end = start] = range.split('-').map(Number) as [number, number?];
            for (let slot = start; slot <= end; slot++) owners.set(slot, owner);
          }
        }
        return owners;
      }
      throw new Error('no live node answered CLUSTER NODES');
    },
    async kill(port) {
      const child = processes.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    close,
  };
}
