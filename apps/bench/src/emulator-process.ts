/**
 * Runs an emulator in a child process, so the TCP cases measure the client's heap and CPU only:
 * an in-process server would add its stored vectors to the memory figures and share the one
 * JavaScript thread with the client it serves.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface EmulatorProcess {
  readonly url: string;
  close(): Promise<void>;
}

const CHILD_ENTRY = fileURLToPath(new URL('./emulator-child.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `options.primaries`: an emulator cluster of that many primaries instead of one server; `url` is its first node's. */
export async function startEmulatorProcess(options: { readonly primaries?: number } = {}): Promise<EmulatorProcess> {
  const args = options.primaries === undefined ? [] : ['--cluster', String(options.primaries)];
  const child = fork(CHILD_ENTRY, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the emulator process did not report its address within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('message', (message: unknown) => {
      clearTimeout(timer);
      if (typeof message === 'object' && message !== null && 'url' in message && typeof message.url === 'string') resolve(message.url);
      else reject(new Error(`unexpected message from the emulator process: ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator process exited early (code ${code})`));
    });
  });
  return {
    url,
    async close() {
      const exited = waitForExit(child);
      child.kill('SIGTERM');
      await exited;
    },
  };
}
