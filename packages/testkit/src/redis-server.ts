import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOST = '127.0.0.1';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export interface RedisCluster {
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /**
   * Kills the node on `port` with SIGKILL, as `kill -9` does (no goodbye to clients or to the
   * other nodes); resolves once the process has exited. Its replica takes over after the node
   * timeout.
   */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** `cluster-node-timeout`: how long a node may be unreachable before it is failed over. Default 5000 ms. */
  readonly nodeTimeoutMs?: number;
}

let availability: string | null | undefined;

/**
 * Why real-Redis tests cannot run here (`null` when they can). Suites skip with this message;
 * under `CI=true` a missing binary is an error instead, so CI never passes by skipping.
 */
export function redisServerMissing(): string | null {
  if (availability === undefined) {
    const server = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    const cli = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' });
    availability =
      server.status !== 0
        ? 'redis-server is not installed (apt-get install -y redis-server)'
        : cli.status !== 0
          ? 'redis-cli is not installed (apt-get install -y redis-tools)'
          : null;
    if (availability && process.env.CI === 'true') throw new Error(`${availability}; CI=true requires it`);
    if (availability) console.warn(`skipping real-Redis tests: ${availability}`);
  }
  return availability;
}

/** A TCP port free on loopback now (and, with `busPort`, also port + 10000 for the cluster bus). */
export async function freePort(options: { busPort?: boolean } = {}): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    if (!options.busPort) return port;
    if (port + 10000 < 65536 && (await listenOnce(port + 10000).then(() => true, () => false))) return port;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { encoding: 'utf8' });
  return stdout;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function spawnServer(port: number, dir: string, extra: string[]): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--enable-debug-command', 'local', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4000)));
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`redis-server on port ${port} exited with ${code}:\n${output}`);
  });
  return child;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a throwaway redis-server on a free loopback port: no persistence, DEBUG allowed. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrite-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawnServer(port, dir, []);
    try {
      await waitFor(`redis-server on port ${port}`, async () => child.exitCode === null && (await cli(port, 'PING')).trim() === 'PONG');
    } catch (error) {
      await stopProcess(child);
      if (attempt < 3) continue; // the port was taken between probing and binding
      throw error;
    }
    return {
      host: HOST,
      port,
      url: `redis://${HOST}:${port}`,
      async stop() {
        await stopProcess(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * Starts a Redis Cluster of `primaries` nodes, each with `replicas` replicas, on loopback;
 * resolves once `cluster_state:ok` and every replica has finished its first sync.
 */
export async function startRedisCluster(primaries = 3, replicas = 0, options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const nodeTimeout = String(options.nodeTimeoutMs ?? 5000);
  const dir = await mkdtemp(join(tmpdir(), 'ferrite-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < primaries * (1 + replicas); i++) {
      const port = await freePort({ busPort: true });
      ports.push(port);
      children.push(
        spawnServer(port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', nodeTimeout]),
      );
    }
    for (const port of ports) await waitFor(`cluster node ${port}`, async () => (await cli(port, 'PING')).trim() === 'PONG');
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
    if (replicas > 0) {
      for (const port of ports) {
        await waitFor(
          `replication on ${port}`,
          async () => {
            const info = await cli(port, 'INFO', 'replication');
            return info.includes('role:master') ? (info.match(/^slave\d+:.*state=online/gm) ?? []).length === replicas : info.includes('master_link_status:up');
          },
          30_000,
        );
      }
      // Every node lists each replica in CLUSTER SLOTS, which it does only once gossip has told it
      // the replica's replication offset (what clients read the topology from).
      for (const port of ports) {
        await waitFor(
          `replicas in CLUSTER SLOTS of ${port}`,
          async () => ((await cli(port, 'CLUSTER', 'SLOTS')).match(/^[0-9a-f]{40}$/gm) ?? []).length === primaries * (1 + replicas),
          30_000,
        );
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const kill = async (port: number): Promise<void> => {
    const child = children[ports.indexOf(port)];
    if (!child) throw new Error(`no cluster node on port ${port}`);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  return { nodes: ports.map((port) => ({ host: HOST, port })), kill, stop };
}
