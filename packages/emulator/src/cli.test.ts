import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RawRespClient, plain } from './engine/testing/raw-client.js';

/** Runs the built CLI (dist/cli.js, what the `ferrite-emulator` bin points at); `pnpm test` builds first. */
const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const entry = existsSync(built) ? built : undefined;
if (entry === undefined && process.env['CI'] === 'true') throw new Error(`${built} is missing; CI=true requires the package to be built first`);

describe.skipIf(entry === undefined)(`ferrite-emulator CLI${entry === undefined ? ' (skipped: build the package first)' : ''}`, () => {
  it('prints --help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [entry as string, '--help'], { encoding: 'utf8' });
    expect(stdout).toContain('Usage: ferrite-emulator');
    expect(stdout).toContain('--cdc-capacity');
  });

  it('rejects a bad option with exit code 2', async () => {
    const failure = await promisify(execFile)(process.execPath, [entry as string, '--port', 'x']).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(2);
    expect((failure as { stderr: string }).stderr).toContain('--port must be an integer');
  });

  it('takes --node-timeout with --cluster only', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [entry as string, '--help'], { encoding: 'utf8' });
    expect(stdout).toContain('--node-timeout <ms>');
    for (const args of [['--node-timeout', '500'], ['--cluster', '3', '--node-timeout', '0']]) {
      const failure = await promisify(execFile)(process.execPath, [entry as string, ...args]).catch((error: { code: number; stderr: string }) => error);
      expect((failure as { code: number }).code).toBe(2);
      expect((failure as { stderr: string }).stderr).toContain('--node-timeout');
    }
  });

  it('starts, prints its URL, answers PING, exits on SIGTERM', async () => {
    const child = spawn(process.execPath, [entry as string, '--port', '0', '--password', 'pw'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (redis:\/\/\S+)/.exec(output);
          if (match) resolve(match[1] as string);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
      });
      const port = Number(new URL(url).port);
      expect(url).toBe(`redis://127.0.0.1:${port}`);
      const client = await RawRespClient.connect(port);
      expect(plain(await client.send('PING'))).toEqual({ error: 'NOAUTH Authentication required.' });
      await client.send('AUTH', 'pw');
      expect(plain(await client.send('PING'))).toBe('+PONG');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await client.closed;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});

