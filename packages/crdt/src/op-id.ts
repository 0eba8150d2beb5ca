import { randomBytes } from 'node:crypto';

/**
 * A fresh op-id: 128 random bits as 32 hex digits. At that size two increments never share one by
 * chance, on any number of clients, which is what lets the server drop resends by op-id alone.
 */
export function newCrdtOpId(): string {
  return randomBytes(16).toString('hex');
}
