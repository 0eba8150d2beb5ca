import { randomFillSync } from 'node:crypto';

const OP_ID_BYTES = 16;
const POOL_IDS = 256;
const pool = Buffer.alloc(OP_ID_BYTES * POOL_IDS);
let next = POOL_IDS;

/**
 * A fresh op-id: 128 random bits from the system's CSPRNG, as 32 hex digits. At that size two
 * increments never share one by chance, on any number of clients, which is what lets the server
 * drop resends by op-id alone. Random bytes are drawn 4 KB at a time: one call to the CSPRNG per
 * op-id costs more than the rest of an increment's client side.
 */
export function newCrdtOpId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const start = next++ * OP_ID_BYTES;
  return pool.toString('hex', start, start + OP_ID_BYTES);
}
