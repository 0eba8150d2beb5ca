// Run by lifecycle.test.ts in a child process, against the built packages: subscribes (one feed
// that is open, one whose subscribe races the close), closes the client, then says when. The
// parent checks the process then exits by itself: nothing of ours keeps it alive.
import { cdc } from '@ferrite/cdc';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { nodeRedisTransport } from '@ferrite/node-redis';
import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClient, Logger } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const [driver, port] = process.argv.slice(2);

async function transportFor() {
  if (driver === 'memory') return memoryTransport();
  if (driver === 'ioredis') {
    const client = new Redis({ host: '127.0.0.1', port: Number(port), lazyConnect: true });
    await client.connect();
    return ioredisTransport(client, { closeClient: true });
  }
  if (driver === 'valkey-glide') {
    // GLIDE's Rust core logs to stdout unless told otherwise.
    Logger.init('off');
    const configuration = { addresses: [{ host: '127.0.0.1', port: Number(port) }] };
    return glideTransport(await GlideClient.createClient(configuration), { configuration, closeClient: true });
  }
  if (driver !== 'node-redis') throw new Error(`exit-after-close.mjs: unknown driver ${driver}`);
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  await client.connect();
  return nodeRedisTransport(client, { closeClient: true });
}

const ferrite = createFerrite({ transport: await transportFor(), plugins: [cdc()] });
const feed = await ferrite.cdc.subscribe('exit:*', { blockMs: 30_000 });
const pending = feed.next();
const racing = ferrite.cdc.subscribe('exit:*', { blockMs: 30_000 }).catch((error) => error);
await ferrite.close();
const ended = await pending;
const raced = await racing;
process.stdout.write(`closed ${JSON.stringify({ ended: ended.done, raced: raced instanceof Error ? raced.name : 'feed' })}\n`);
