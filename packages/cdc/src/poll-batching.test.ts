import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { describe, expect, it } from 'vitest';
import { borrowed, failingPolls } from './__tests__/helpers.js';
import { cdc } from './plugin.js';

const EVENTS = 2_000;
const WRITES_PER_BATCH = 100;

describe.each([2, 3] as const)('change feed poll batching (in-process server, RESP%i)', (protocol) => {
  it('writes made while the feed has caught up come back in a few polls, not one poll per write, each event once and in order', async () => {
    const transport = memoryTransport({ protocol });
    let polls = 0;
    const countPolls = () => {
      polls++;
      return undefined;
    };
    const ferrite = createFerrite({
      transport: borrowed(transport, { dedicated: async (options) => failingPolls(await transport.dedicated(options), countPolls) }),
      plugins: [cdc()],
    });
    try {
      await using feed = await ferrite.cdc.subscribe('batching:*', { batchSize: 1_000, bufferSize: 10_000 });
      const received: string[] = [];
      const consumed = (async () => {
        while (received.length < EVENTS) {
          const next = await feed.next();
          if (next.done) throw new Error('the feed ended early');
          received.push(next.value.value as string);
        }
      })();
      // Pipelined writes in the same process as the feed, as the bench's producer makes them.
      for (let first = 0; first < EVENTS; first += WRITES_PER_BATCH) {
        const writes = Array.from({ length: WRITES_PER_BATCH }, (_, j) => ({ name: 'SET', args: [`batching:${j}`, String(first + j)] }));
        const replies = await transport.batch(writes);
        expect(replies.every((reply) => reply.ok)).toBe(true);
      }
      await consumed;
      expect(received).toEqual(Array.from({ length: EVENTS }, (_, i) => String(i)));
      // A poll sent the moment the last one came back short fetched one or two events each (over
      // a thousand polls here); yielding a turn first lets each poll take whole runs of writes.
      expect(polls).toBeLessThan(EVENTS / 20);
    } finally {
      await ferrite.close();
      await transport.close();
    }
  });
});
