import type { Server } from 'node:net';

/** Starts listening and settles once bound, or rejects with the bind error (EADDRINUSE, …). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
