/**
 * `pnpm demo`. With FERRITE_URL it talks to that server; otherwise it starts an emulator on a free
 * loopback port. FERRITE_DRIVER=node-redis or FERRITE_DRIVER=valkey-glide swaps the driver.
 */
import { tour, type Driver } from './tour.js';

const requested = process.env.FERRITE_DRIVER;
const driver: Driver = requested === 'node-redis' || requested === 'valkey-glide' ? requested : 'ioredis';

tour({ driver, ...(process.env.FERRITE_URL ? { url: process.env.FERRITE_URL } : {}) }).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
