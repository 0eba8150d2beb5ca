import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DedicatedTransport, FerriteClient, Transport, WireCommand } from '@ferrite/core';
import type { Emulator } from '@ferrite/emulator';
import type { cdc } from '../plugin.js';
import type { ChangeEvent, ChangeFeed } from '../types.js';

export type CdcClient = FerriteClient<readonly [ReturnType<typeof cdc>]>;

let counter = 0;
/** A prefix no other test uses, so patterns never see another test's writes. */
export const unique = (name: string): string => `${name}-${process.pid}-${++counter}`;

type Session = ReturnType<Emulator['createSession']>;

const sessions = new WeakMap<Emulator, Session>();

/** Runs a command straight in the emulator (no socket), on a session of the tests' own. */
function runInProcess(emulator: Emulator, argv: readonly string[]): ReturnType<Emulator['execute']> {
  let session = sessions.get(emulator);
  if (session === undefined || session.closed) {
    session = emulator.createSession({ protocol: 2 });
    sessions.set(emulator, session);
  }
  return emulator.execute(session, argv.map((arg) => Buffer.from(arg, 'utf8')));
}

/**
 * Runs a write straight in the emulator (no socket): a producer that is never slowed or cut by
 * the faults a test applies to the feed's connection.
 */
export async function write(emulator: Emulator, ...argv: string[]): Promise<void> {
  const reply = await runInProcess(emulator, argv);
  if (reply.kind === 'error') throw new Error(reply.message);
}

/** Server-wide subscription count, asked in process: no fault applied to the network reaches the question. */
export async function subscriptionsIn(emulator: Emulator): Promise<number> {
  const reply = await runInProcess(emulator, ['CDC.INFO']);
  const entry = reply.kind === 'map' ? reply.entries.find(([key]) => key.kind === 'bulk' && key.value.toString() === 'subscriptions') : undefined;
  const count = entry?.[1];
  if (count?.kind !== 'integer') throw new Error('CDC.INFO: no subscriptions count');
  return Number(count.value);
}

/**
 * Calls `applied(session, name)` (name in upper case) each time `emulator` has run a command, before
 * its reply is written: where a test cuts a connection whose command the server applied and whose
 * reply is then lost, as a network failure at that moment would. Returns the function that stops it.
 */
export function afterEachCommand(emulator: Emulator, applied: (session: Session, name: string) => void): () => void {
  const execute = emulator.execute.bind(emulator);
  emulator.execute = (session, argv) => {
    const reply = execute(session, argv);
    applied(session, argv[0]?.toString('latin1').toUpperCase() ?? '');
    return reply;
  };
  return () => {
    emulator.execute = execute;
  };
}

/** The next `count` events of a feed. */
export async function take<Value extends string | Buffer>(feed: ChangeFeed<Value>, count: number): Promise<ChangeEvent<Value>[]> {
  const events: ChangeEvent<Value>[] = [];
  while (events.length < count) {
    const next = await feed.next();
    if (next.done) throw new Error(`the feed ended after ${events.length} of ${count} events`);
    events.push(next.value);
  }
  return events;
}

/** Server-wide subscription count. */
export async function serverSubscriptions(ferrite: CdcClient): Promise<number> {
  const info = await ferrite.send('CDC.INFO');
  const map = info instanceof Map ? info : new Map(chunk(info as unknown[]));
  return Number(map.get('subscriptions'));
}

/** Open connections whose last command was a feed's (subscribe, poll, unsubscribe): the feeds' own connections. */
export function feedConnections(emulator: Emulator): number {
  return emulator.openSessions().filter((session) => /^cdc\.(subscribe|poll|unsubscribe)$/i.test(session.lastCommand)).length;
}

function chunk(flat: unknown[]): Array<[unknown, unknown]> {
  const pairs: Array<[unknown, unknown]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}

/** Milliseconds since `start` (performance clock). */
/**
 * How long `work` took to settle, less the event loop's worst stall meanwhile: on a loaded machine
 * every callback runs late by that much, which is not time the feed took.
 */
export async function settleTime(work: Promise<unknown>): Promise<number> {
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const start = performance.now();
  try {
    await work;
  } finally {
    stalls.disable();
  }
  return performance.now() - start - stalls.max / 1e6;
}

/**
 * `connection` whose `CDC.POLL` fails with what `failure()` returns (when it returns an error),
 * sent alone or pipelined: a fault that cannot be caused for real on demand.
 */
export function failingPolls(connection: DedicatedTransport, failure: () => Error | undefined): DedicatedTransport {
  const poll = (commands: readonly WireCommand[]) => commands.some((command) => command.name === 'CDC.POLL');
  return {
    name: connection.name,
    get protocol() {
      return connection.protocol;
    },
    send(command, options) {
      const error = poll([command]) ? failure() : undefined;
      return error === undefined ? connection.send(command, options) : Promise.reject(error);
    },
    batch(commands, options) {
      const error = poll(commands) ? failure() : undefined;
      return error === undefined ? connection.batch(commands, options) : Promise.reject(error);
    },
    dedicated: (more) => connection.dedicated(more),
    close: () => connection.close(),
    [Symbol.asyncDispose]: () => connection.close(),
  };
}

/** `shared`, with `overrides`: closing a client over it leaves `shared` open unless `close` is overridden. */
export function borrowed(shared: Transport, overrides: Partial<Transport> = {}): Transport {
  return {
    name: shared.name,
    protocol: shared.protocol,
    ...(shared.topology === undefined ? {} : { topology: shared.topology }),
    send: (command, options) => shared.send(command, options),
    batch: (commands, options) => shared.batch(commands, options),
    ...(shared.nodes === undefined ? {} : { nodes: () => (shared.nodes as NonNullable<Transport['nodes']>)() }),
    dedicated: (options) => shared.dedicated(options),
    close: async () => {},
    ...overrides,
  };
}

/**
 * Runs `write(0)` … `write(count - 1)` in groups of `size` at once (as an application's
 * concurrent requests arrive), calling `after(written)` between groups. Written one by one, each
 * waited on, a run is paced by round trips and the feed sees one event per poll.
 */
export async function writeInGroups(count: number, size: number, write: (i: number) => Promise<void>, after: (written: number) => Promise<void> | void): Promise<void> {
  for (let start = 0; start < count; start += size) {
    const end = Math.min(count, start + size);
    await Promise.all(Array.from({ length: end - start }, (_, j) => write(start + j)));
    await after(end);
  }
}
