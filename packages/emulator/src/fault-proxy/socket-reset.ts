import type { Socket } from 'node:net';

/**
 * Aborts a connection with a TCP RST, so the peer sees ECONNRESET rather than a clean end.
 * A socket still connecting has nothing to reset (Node would wait for the connection), so it is
 * just destroyed.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    if (socket.connecting) socket.destroy();
    else socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
