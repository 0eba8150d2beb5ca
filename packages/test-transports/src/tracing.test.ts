import {
  createFerrite,
  defineCommand,
  definePlugin,
  FERRITE_COMMAND_CHANNEL,
  prepareCommand,
  readInteger,
  readOk,
  slotOf,
  type FerriteCommandEvent,
  type Transport,
} from '@ferrite/core';
import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterNodeFor, clusterTransportTargets, describeEachTransport, openTarget, transportTargets, type TransportTarget } from './index.js';

const rememberCommand = defineCommand({
  name: 'SEMANTIC.SET',
  collection: true,
  encode: (namespace: string, text: string, value: string) => [namespace, text, value],
  decode: readOk,
});
const incrCommand = defineCommand({ name: 'INCR', encode: (key: string) => [key], decode: (reply) => readInteger(reply) });

const probe = definePlugin({
  name: 'probe',
  setup: (ctx) => ({
    remember: (namespace: string, text: string, value: string) => ctx.call(rememberCommand, namespace, text, value),
    bump: (key: string) => ctx.call(incrCommand, key),
    bumpAll: (keys: string[]) => ctx.batch(keys.map((key) => prepareCommand(incrCommand, key))),
  }),
});

const channel = tracingChannel<string, FerriteCommandEvent>(FERRITE_COMMAND_CHANNEL);

/** What must be identical on every transport: the event without timing and the transport's own identity. */
function portable(event: FerriteCommandEvent) {
  const { durationMs, transport, server, protocol, error, ...rest } = event;
  return { ...rest, statement: event.statement, failedWith: error === undefined ? null : (error as Error).name };
}

/**
 * The first key `${prefix}:${name}<n>` whose slot lies in [from, to). The batch takes its keys
 * from opposite ends of the slot range, which different primaries of the 3-primary cluster serve
 * (checked on the cluster targets), so the cluster transports split it by node.
 */
function keyInSlots(prefix: string, name: string, from: number, to: number): string {
  for (let n = 0; ; n++) {
    const key = `${prefix}:${name}${n}`;
    const slot = slotOf(key);
    if (slot >= from && slot < to) return key;
  }
}

function keysOf(prefix: string) {
  return { n: keyInSlots(prefix, 'n', 0, 5000), text: keyInSlots(prefix, 'text', 11_500, 16_384) };
}

/** The same calls on every transport: a plugin call, a send, a failing call, a batch spanning nodes with a failing entry, a sendBuffer. */
async function runCalls(transport: Transport, prefix: string): Promise<void> {
  const ferrite = createFerrite({ transport, plugins: [probe] });
  const { n, text } = keysOf(prefix);
  await ferrite.probe.remember('faq', 'how do I reset my password', 'use the link');
  await ferrite.send('SET', text, 'not a number');
  await expect(ferrite.probe.bump(text)).rejects.toMatchObject({ name: 'FerriteReplyError' });
  await ferrite.probe.bumpAll([n, text, n]);
  await ferrite.sendBuffer('GET', n);
}

/** What `runCalls` must publish, on every transport. */
function expectedEvents(prefix: string) {
  const { n, text } = keysOf(prefix);
  return [
    {
      operation: 'call', command: 'SEMANTIC.SET', commands: ['SEMANTIC.SET'], plugin: 'probe', batchSize: null,
      collection: 'faq', outcome: 'ok', statement: 'SEMANTIC.SET faq how do I reset my password use the link', failedWith: null,
    },
    {
      operation: 'send', command: 'SET', commands: ['SET'], plugin: null, batchSize: null,
      collection: null, outcome: 'ok', statement: `SET ${text} not a number`, failedWith: null,
    },
    {
      operation: 'call', command: 'INCR', commands: ['INCR'], plugin: 'probe', batchSize: null, collection: null,
      outcome: 'error', errorClass: 'FerriteReplyError', statement: `INCR ${text}`, failedWith: 'FerriteReplyError',
    },
    {
      operation: 'batch', command: 'INCR', commands: ['INCR', 'INCR', 'INCR'], plugin: 'probe', batchSize: 3, collection: null,
      outcome: 'error', errorClass: 'FerriteReplyError', failed: 1, failedWith: null,
      statement: `INCR ${n}\nINCR ${text}\nINCR ${n}`,
    },
    {
      operation: 'send', command: 'GET', commands: ['GET'], plugin: null, batchSize: null,
      collection: null, outcome: 'ok', statement: `GET ${n}`, failedWith: null,
    },
  ];
}

/** Collects the events published while `work` runs. */
async function recorded(work: () => Promise<void>): Promise<FerriteCommandEvent[]> {
  const events: FerriteCommandEvent[] = [];
  const onEnd = { asyncEnd: (event: FerriteCommandEvent) => void events.push(event) };
  channel.subscribe(onEnd as never);
  try {
    await work();
  } finally {
    channel.unsubscribe(onEnd as never);
  }
  return events;
}

describeEachTransport(
  'ferrite:command events',
  (harness) => {
    let events: FerriteCommandEvent[] = [];
    const onEnd = { asyncEnd: (event: FerriteCommandEvent) => void events.push(event) };
    beforeEach(() => {
      events = [];
      channel.subscribe(onEnd as never);
    });
    afterEach(() => channel.unsubscribe(onEnd as never));

    it('are the same for call, batch, send and sendBuffer', async () => {
      const prefix = 'trace:each';
      if (harness.cluster !== undefined) {
        // The batch really spans nodes: the cluster transport splits it and puts the replies back in order.
        const { n, text } = keysOf(prefix);
        expect((await clusterNodeFor(harness.cluster, n)).id).not.toBe((await clusterNodeFor(harness.cluster, text)).id);
      }
      await runCalls(harness.transport, prefix);

      expect(events.map(portable)).toEqual(expectedEvents(prefix));
      for (const event of events) {
        expect(event.transport).toBe(harness.target.driver);
        expect(event.protocol).toBe(harness.target.protocol);
        expect(event.durationMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('name the server the driver connects to: none in process or on a cluster', async () => {
      const ferrite = createFerrite({ transport: harness.transport });
      await ferrite.send('PING');
      await ferrite.send('SET', 'trace:server', '1');
      expect(events).toHaveLength(2);
      for (const { server } of events) {
        if (harness.target.driver === 'memory' || harness.target.cluster) {
          // A cluster transport talks to every primary, and a command's node can change under it
          // (MOVED, ASK): no one address describes it.
          expect(server).toBeNull();
        } else {
          expect(server).toEqual({ address: '127.0.0.1', port: expect.any(Number), database: 0 });
          expect(server?.port).toBeGreaterThan(0);
        }
      }
    });
  },
  { cluster: true },
);

describe('ferrite:command events across transports', () => {
  it('are identical on all seven transports (memory, ioredis, node-redis and valkey-glide single node, ioredis, node-redis and valkey-glide cluster), RESP2 and RESP3, for the same calls', async () => {
    const targets: readonly TransportTarget[] = [...transportTargets, ...clusterTransportTargets];
    const byTarget = new Map<string, ReturnType<typeof portable>[]>();
    // One target at a time, each over a fresh server (or cluster) of its own: the same keys everywhere.
    for (const target of targets) {
      const opened = await openTarget(target);
      try {
        const events = await recorded(() => runCalls(opened.transport, 'trace:across'));
        byTarget.set(target.label, events.map(portable));
      } finally {
        await opened.close();
      }
    }
    expect(new Set([...byTarget.keys()].map((label) => label.split(' ')[0]))).toEqual(new Set(['memory', 'ioredis', 'node-redis', 'valkey-glide']));
    expect([...byTarget.keys()].filter((label) => label.includes('cluster'))).toHaveLength(6);
    const reference = byTarget.get('memory RESP2');
    expect(reference).toEqual(expectedEvents('trace:across'));
    for (const [label, events] of byTarget) expect({ label, events }).toEqual({ label, events: reference });
  }, 60_000);
});
