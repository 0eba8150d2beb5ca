import { describe, expect, it } from 'vitest';
import { FerriteConnectionError, isConnectionError } from '../errors.js';
import type { Reply } from '../reply.js';
import type { DedicatedTransport, TransportNode, WireCommand } from '../transport.js';
import { ClusterTransport, type ClusterConnector } from './cluster.js';

/** How a fake node answers `COMMAND INFO`: at once, never (a connection waiting to reconnect), or with a lost connection. */
type Answer = 'answer' | 'never' | 'connection lost';

/**
 * A cluster of three fake primaries behind a fake connector: enough to drive `ClusterTransport`'s
 * routing with no network. Each node records the commands it was sent.
 */
function fakeCluster(commandInfo: readonly [Answer, Answer, Answer]) {
  const ports = [7001, 7002, 7003] as const;
  const sent = new Map<number, string[]>(ports.map((port) => [port, []]));
  // INCR's first argument is its key (COMMAND INFO's fourth field is the first key's position).
  const incrInfo: Reply = [['incr', 2, ['write'], 1, 1, 1]];
  const slots: Reply = [
    [0, 5460, ['127.0.0.1', 7001, 'a'.repeat(40)]],
    [5461, 10922, ['127.0.0.1', 7002, 'b'.repeat(40)]],
    [10923, 16383, ['127.0.0.1', 7003, 'c'.repeat(40)]],
  ];
  const reply = (port: number, command: WireCommand): Promise<Reply> => {
    sent.get(port)?.push(command.name);
    if (command.name === 'CLUSTER') return Promise.resolve(slots);
    if (command.name === 'COMMAND') {
      const answer = commandInfo[ports.indexOf(port as (typeof ports)[number])];
      if (answer === 'never') return new Promise<Reply>(() => {});
      if (answer === 'connection lost') return Promise.reject(new FerriteConnectionError('the connection closed before the reply arrived'));
      return Promise.resolve(incrInfo);
    }
    return Promise.resolve(1);
  };
  const connector: ClusterConnector = {
    name: 'fake',
    protocol: 3,
    seeds: () => [{ host: '127.0.0.1', port: 7001 }],
    async connect(node: TransportNode): Promise<DedicatedTransport> {
      const connection: DedicatedTransport = {
        name: 'fake',
        protocol: 3,
        send: (command) => reply(node.port, command),
        batch: async (commands) => Promise.all(commands.map(async (command) => ({ ok: true as const, value: await reply(node.port, command) }))),
        dedicated: async () => connection,
        close: async () => {},
        [Symbol.asyncDispose]: async () => {},
      };
      return connection;
    },
    release: async () => {},
  };
  const commandInfoAsked = () => [...sent.values()].reduce((total, names) => total + names.filter((name) => name === 'COMMAND').length, 0);
  const incrsSent = () => [...sent.values()].reduce((total, names) => total + names.filter((name) => name === 'INCR').length, 0);
  return { transport: new ClusterTransport(connector), commandInfoAsked, incrsSent };
}

describe('ClusterTransport: where a command without a routing key goes', () => {
  it('asks COMMAND INFO of one primary when it answers', async () => {
    const { transport, commandInfoAsked, incrsSent } = fakeCluster(['answer', 'answer', 'answer']);
    expect(await transport.send({ name: 'INCR', args: ['k'] })).toBe(1);
    expect(await transport.send({ name: 'INCR', args: ['other'] })).toBe(1);
    expect(commandInfoAsked()).toBe(1);
    expect(incrsSent()).toBe(2);
    await transport.close();
  });

  it('asks the other primaries when one loses its connection, or keeps silent (down, reconnecting)', async () => {
    for (const answers of [
      ['connection lost', 'answer', 'answer'],
      ['never', 'answer', 'never'],
      ['never', 'never', 'answer'],
    ] as const) {
      // Every rotation, so the primary asked first is each of them in turn.
      for (let shift = 0; shift < 3; shift++) {
        const rotated = [0, 1, 2].map((i) => answers[(i + shift) % 3]) as unknown as readonly [Answer, Answer, Answer];
        const { transport, incrsSent } = fakeCluster(rotated);
        const started = performance.now();
        expect(await transport.send({ name: 'INCR', args: ['k'] }), rotated.join()).toBe(1);
        expect(performance.now() - started, rotated.join()).toBeLessThan(2000);
        expect(incrsSent()).toBe(1);
        await transport.close();
      }
    }
  });

  it('rejects with maybeApplied false when no primary can say where the key is: the command was never sent', async () => {
    const { transport, commandInfoAsked, incrsSent } = fakeCluster(['connection lost', 'connection lost', 'connection lost']);
    const error = await transport.send({ name: 'INCR', args: ['k'] }).catch((e: unknown) => e);
    expect(isConnectionError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ maybeApplied: false });
    expect(commandInfoAsked()).toBe(3);
    expect(incrsSent()).toBe(0);
    const [entry] = await transport.batch([{ name: 'INCR', args: ['k'] }]);
    expect(entry).toMatchObject({ ok: false, error: { maybeApplied: false } });
    expect(incrsSent()).toBe(0);
    await transport.close();
  });
});

describe('ClusterTransport: a caller that gives up while the route is found', () => {
  it('never sends the command or batch late, and says it was not applied', async () => {
    // The primary asked first keeps silent; another answers once the question goes to all of them.
    const { transport, incrsSent } = fakeCluster(['never', 'answer', 'never']);
    const controller = new AbortController();
    const call = transport.send({ name: 'INCR', args: ['k'] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await call.catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expect((error as FerriteConnectionError).maybeApplied).toBe(false);
    expect(incrsSent()).toBe(0);
    const gaveUp = new AbortController();
    const batch = transport.batch([{ name: 'INCR', args: ['k'] }, { name: 'INCR', args: ['other'] }], { signal: gaveUp.signal });
    gaveUp.abort();
    for (const entry of await batch) expect(entry).toMatchObject({ ok: false, error: { maybeApplied: false } });
    expect(incrsSent()).toBe(0);
    // The route is known now: the next call goes out.
    expect(await transport.send({ name: 'INCR', args: ['k'] })).toBe(1);
    expect(incrsSent()).toBe(1);
    await transport.close();
  });
});

describe('ClusterTransport: topology', () => {
  it('says it reaches a cluster', async () => {
    const { transport } = fakeCluster(['answer', 'answer', 'answer']);
    expect(transport.topology).toBe('cluster');
    await transport.close();
  });
});
