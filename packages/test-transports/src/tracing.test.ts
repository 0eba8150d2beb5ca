import {
  createFerrite,
  defineCommand,
  definePlugin,
  FERRITE_COMMAND_CHANNEL,
  prepareCommand,
  readInteger,
  readOk,
  type FerriteCommandEvent,
} from '@ferrite/core';
import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachTransport } from './index.js';

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

describeEachTransport('ferrite:command events', (harness) => {
  let events: FerriteCommandEvent[] = [];
  const onEnd = { asyncEnd: (event: FerriteCommandEvent) => void events.push(event) };
  beforeEach(() => {
    events = [];
    channel.subscribe(onEnd as never);
  });
  afterEach(() => channel.unsubscribe(onEnd as never));

  it('are the same for call, batch, send and sendBuffer', async () => {
    const ferrite = createFerrite({ transport: harness.transport, plugins: [probe] });
    const key = `trace:${harness.target.label}`;
    await ferrite.probe.remember('faq', 'how do I reset my password', 'use the link');
    await ferrite.send('SET', `${key}:text`, 'not a number');
    await expect(ferrite.probe.bump(`${key}:text`)).rejects.toMatchObject({ name: 'FerriteReplyError' });
    await ferrite.probe.bumpAll([`${key}:n`, `${key}:text`, `${key}:n`]);
    await ferrite.sendBuffer('GET', `${key}:n`);

    expect(events.map(portable)).toEqual([
      {
        operation: 'call', command: 'SEMANTIC.SET', commands: ['SEMANTIC.SET'], plugin: 'probe', batchSize: null,
        collection: 'faq', outcome: 'ok', statement: 'SEMANTIC.SET faq how do I reset my password use the link', failedWith: null,
      },
      {
        operation: 'send', command: 'SET', commands: ['SET'], plugin: null, batchSize: null,
        collection: null, outcome: 'ok', statement: `SET ${key}:text not a number`, failedWith: null,
      },
      {
        operation: 'call', command: 'INCR', commands: ['INCR'], plugin: 'probe', batchSize: null, collection: null,
        outcome: 'error', errorClass: 'FerriteReplyError', statement: `INCR ${key}:text`, failedWith: 'FerriteReplyError',
      },
      {
        operation: 'batch', command: 'INCR', commands: ['INCR', 'INCR', 'INCR'], plugin: 'probe', batchSize: 3, collection: null,
        outcome: 'error', errorClass: 'FerriteReplyError', failed: 1, failedWith: null,
        statement: `INCR ${key}:n\nINCR ${key}:text\nINCR ${key}:n`,
      },
      {
        operation: 'send', command: 'GET', commands: ['GET'], plugin: null, batchSize: null,
        collection: null, outcome: 'ok', statement: `GET ${key}:n`, failedWith: null,
      },
    ]);
    for (const event of events) {
      expect(event.transport).toBe(harness.target.driver);
      expect(event.protocol).toBe(harness.target.protocol);
      expect(event.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('name the server the driver connects to', async () => {
    const ferrite = createFerrite({ transport: harness.transport });
    await ferrite.send('PING');
    const server = events[0]?.server;
    if (harness.target.driver === 'memory') {
      expect(server).toBeNull();
    } else {
      expect(server).toEqual({ address: '127.0.0.1', port: expect.any(Number), database: 0 });
      expect(server?.port).toBeGreaterThan(0);
    }
  });
});
