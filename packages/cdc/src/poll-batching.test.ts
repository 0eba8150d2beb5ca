import { createFerrite, type DedicatedTransport, type Reply } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { describe, expect, it } from 'vitest';
import { borrowed, failingPolls } from './__tests__/helpers.js';
import { cdc } from './plugin.js';
import type { ChangeFeed } from './types.js';

const EVENTS = 2_000;
const WRITES_PER_BATCH = 100;

/** What happened between one poll's reply and the next poll: how many events that reply brought, and whether a turn of the event loop passed. */
interface PollGap {
  readonly events: number;
  readonly turned: boolean;
}

/**
 * `connection`, recording a {@link PollGap} for every `CDC.POLL … WITHNEXT` sent after another's
 * reply. A turn has passed when an immediate scheduled as the reply arrived has run.
 */
function observedPolls(connection: DedicatedTransport, gaps: PollGap[]): DedicatedTransport {
  let last: { events: number; turned: boolean } | undefined;
  return {
    name: connection.name,
    get protocol() {
      return connection.protocol;
    },
    async send(command, options) {
      if (command.name !== 'CDC.POLL') return connection.send(command, options);
      if (last !== undefined) gaps.push({ events: last.events, turned: last.turned });
      const reply = await connection.send(command, options);
      const gap = { events: ((reply as Reply[])[1] as Reply[]).length, turned: false };
      last = gap;
      setImmediate(() => (gap.turned = true));
      return reply;
    },
    batch: (commands, options) => connection.batch(commands, options),
    dedicated: (more) => connection.dedicated(more),
    close: () => connection.close(),
    [Symbol.asyncDispose]: () => connection.close(),
  };
}

/** A client over `transport` whose feeds poll on `wrap(the dedicated connection)`. */
function clientWith(transport: ReturnType<typeof memoryTransport>, wrap: (connection: DedicatedTransport) => DedicatedTransport) {
  return createFerrite({
    transport: borrowed(transport, { dedicated: async (options) => wrap(await transport.dedicated(options)) }),
    plugins: [cdc()],
  });
}

async function writeBatches(transport: ReturnType<typeof memoryTransport>, prefix: string): Promise<void> {
  // Pipelined writes in the same process as the feed, as the bench's producer makes them.
  for (let first = 0; first < EVENTS; first += WRITES_PER_BATCH) {
    const writes = Array.from({ length: WRITES_PER_BATCH }, (_, j) => ({ name: 'SET', args: [`${prefix}:${j}`, String(first + j)] }));
    const replies = await transport.batch(writes);
    expect(replies.every((reply) => reply.ok)).toBe(true);
  }
}

async function consume(feed: ChangeFeed<string>): Promise<string[]> {
  const received: string[] = [];
  while (received.length < EVENTS) {
    const next = await feed.next();
    if (next.done) throw new Error('the feed ended early');
    received.push(next.value.value as string);
  }
  return received;
}

describe.each([2, 3] as const)('change feed poll batching (in-process server, RESP%i)', (protocol) => {
  it('writes made while the feed has caught up come back in a few polls, not one poll per write, each event once and in order', async () => {
    const transport = memoryTransport({ protocol });
    let polls = 0;
    const countPolls = () => {
      polls++;
      return undefined;
    };
    const ferrite = clientWith(transport, (connection) => failingPolls(connection, countPolls));
    try {
      await using feed = await ferrite.cdc.subscribe('batching:*', { batchSize: 1_000, bufferSize: 10_000 });
      const consumed = consume(feed);
      await writeBatches(transport, 'batching');
      const received = await consumed;
      expect(received).toEqual(Array.from({ length: EVENTS }, (_, i) => String(i)));
      // A poll sent the moment the last one came back short fetched one or two events each (over
      // a thousand polls here); yielding a turn first lets each poll take whole runs of writes.
      expect(polls).toBeLessThan(EVENTS / 20);
    } finally {
      await ferrite.close();
      await transport.close();
    }
  });

  it('waits a turn of the event loop only after a poll that brought at most one event; after a bigger one it polls at once', async () => {
    const transport = memoryTransport({ protocol });
    const gaps: PollGap[] = [];
    const ferrite = clientWith(transport, (connection) => observedPolls(connection, gaps));
    try {
      await using feed = await ferrite.cdc.subscribe('turns:*', { batchSize: 1_000, bufferSize: 10_000 });
      const consumed = consume(feed);
      await writeBatches(transport, 'turns');
      expect(await consumed).toHaveLength(EVENTS);
      // Both kinds of poll happen in this run: the early answer (one event) and whole runs.
      expect(gaps.some((gap) => gap.events <= 1)).toBe(true);
      expect(gaps.some((gap) => gap.events > 1)).toBe(true);
      for (const gap of gaps) expect(gap).toEqual({ events: gap.events, turned: gap.events <= 1 });
    } finally {
      await ferrite.close();
      await transport.close();
    }
  });
});
