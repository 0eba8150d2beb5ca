import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const HOST = '127.0.0.1';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
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

export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { encoding: 'utf8' });
  return stdout;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function spawnServer(port: number, dir: string, extra: string[]): ChildProcess {
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

export function stopProcess(child: ChildProcess): Promise<void> {
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
