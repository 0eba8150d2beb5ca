import { startRedisServer } from './dist/redis-server.js';
import { createClient } from 'redis';
const server = await startRedisServer();
const client = createClient({ url: server.url });
await client.connect();
await client.set('k', 'a small value');
const mode = process.argv[2];
const tm = {};
const proxied = client.withCommandOptions({ timeout: undefined, typeMapping: {} });
const f = mode === 'proxied' ? () => proxied.sendCommand(['GET', 'k'], { timeout: undefined, typeMapping: {} }) : mode === 'proxied-tm' ? () => proxied.sendCommand(['GET', 'k'], { typeMapping: {} }) : mode === 'empty' ? () => client.sendCommand(['GET', 'k'], { timeout: undefined, typeMapping: {} })
  : mode === 'shared' ? () => client.sendCommand(['GET', 'k'], { timeout: undefined, typeMapping: tm })
  : () => client.sendCommand(['GET', 'k'], { timeout: undefined });
for (let r = 0; r < 3; r++) {
  let issued = 0; const N = 200000;
  const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, async () => { while (issued < N) { issued++; await f(); } }));
  console.log(mode, Math.round(N * 1000 / (performance.now() - t)), 'ops/s');
}
process.exit(0);
