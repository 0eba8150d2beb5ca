// Starts an emulator CLI (`--port 0`) for a check script and learns its address from its
// "listening on <url>" line.
import { spawn } from 'node:child_process';

/**
 * Spawns `command args` and returns the child at once (so the caller can stop it whatever happens)
 * with `url`, which resolves to the address it listens on, or rejects when it exits first or does
 * not start within 30 s.
 */
export function startEmulatorCli(command, args, options = {}) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start within 30 s`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it listened`));
    });
  });
  return { child, url };
}
