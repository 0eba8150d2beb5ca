import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { slotOf } from '@ferrite/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `ferrite-emulator --cluster` (the built CLI) driven by the real `redis-cli -c`, which follows MOVED on its own. */
const built = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const entry = existsSync(built) ? built : undefined;
const redisCli = spawnSync('redis-cli', ['--version']).status === 0;
if (!redisCli && process.env.CI === 'true') throw new Error('redis-cli is not installed; CI=true requires it');
const skipReason = entry === undefined ? 'build the package first' : redisCli ? undefined : 'redis-cli is not installed';

describe.skipIf(skipReason !== undefined)(`ferrite-emulator --cluster with redis-cli -c${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  let child: ChildProcessWithoutNullStreams;
  let ports: number[] = [];

  beforeAll(async () => {
    child = spawn(process.execPath, [entry as string, '--cluster', '3', '--replicas', '1', '--port', '0', '--node-timeout', '2500'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (/cluster of \d+ nodes listening on/.test(text)) resolve(text);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${text}`)));
    });
    ports = [...output.matchAll(/(primary|replica) redis:\/\/127\.0\.0\.1:(\d+) [0-9a-f]{40}/g)].map((match) => Number(match[2]));
  }, 20_000);

  afterAll(async () => {
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  // Asynchronous: redis-cli must not block the test's event loop (the cluster runs in the child anyway).
  const cli = async (port: number, args: string[], input?: string) => {
    const run = promisify(execFile)('redis-cli', ['-c', '-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
    if (input !== undefined) {
      run.child.stdin?.end(input);
    }
    return (await run).stdout.trim();
  };

  it('prints every node, primaries first', () => {
    expect(ports).toHaveLength(6);
    expect(new Set(ports).size).toBe(6);
  });

  it('runs with the --node-timeout it was given', async () => {
    expect(await cli(ports[3] as number, ['CONFIG', 'GET', 'cluster-node-timeout'])).toBe('cluster-node-timeout\n2500');
  });

  it('SET and GET follow MOVED from whichever node redis-cli starts at', async () => {
    const keys = ['cli:a', 'cli:b', 'cli:c', 'cli:d', 'cli:e'];
    expect(new Set(keys.map((key) => Math.floor(slotOf(key) / 5461))).size).toBeGreaterThan(1);
    for (const key of keys) expect(await cli(ports[0] as number, ['SET', key, `value of ${key}`])).toBe('OK');
    for (const key of keys) expect(await cli(ports[2] as number, ['GET', key])).toBe(`value of ${key}`);
    expect(await cli(ports[1] as number, ['CLUSTER', 'KEYSLOT', 'cli:a'])).toBe(String(slotOf('cli:a')));
  });

  it('VECTOR.* commands follow MOVED too (vectors given as escaped bytes on stdin)', async () => {
    // 1.1 and 2.2 as float32 little-endian: no zero byte, so they survive as quoted escapes.
    const blob = (values: number[]) =>
      `"${[...Buffer.from(new Float32Array(values).buffer)].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}"`;
    const script = [
      'VECTOR.INDEX.CREATE cli:idx DIM 2 DISTANCE L2',
      `VECTOR.ADD cli:idx near ${blob([1.1, 1.1])} color red`,
      `VECTOR.ADD cli:idx far ${blob([-2.2, 2.2])}`,
      `VECTOR.SEARCH cli:idx ${blob([1.1, 1.1])} TOP_K 1`,
      '',
    ].join('\n');
    const slot = slotOf('cli:idx');
    const owner = ports[slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2] as number;
    const elsewhere = ports.slice(0, 3).find((port) => port !== owner) as number;
    const output = await cli(elsewhere, [], script);
    // redis-cli reports each redirect it followed on a line of its own.
    expect(output).toMatch(/-> Redirected to slot \[\d+\] located at 127\.0\.0\.1:\d+/);
    const lines = output.split('\n').filter((line) => !line.startsWith('-> Redirected'));
    expect(lines.slice(0, 3)).toEqual(['OK', 'OK', 'OK']);
    expect(lines.slice(3)).toContain('near');
    expect(lines.slice(3)).not.toContain('far');
  });
});
