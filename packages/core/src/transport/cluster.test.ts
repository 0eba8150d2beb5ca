import { describe, expect, it } from 'vitest';
import { FerriteConnectionError, isConnectionError, replyErrorFor } from '../errors.js';
import type { Reply } from '../reply.js';
import type { DedicatedTransport, TransportNode, WireCommand } from '../transport.js';
import { ClusterTransport, type ClusterDriver, type ClusterRoute } from './cluster.js';
import type { Redirect } from './not-applied.js';

/** What the fake driver answers to one send: a reply, an error, or nothing ever (a node that keeps silent). */
type Answer = { readonly reply: Reply } | { readonly error: unknown } | 'never';

/**
 * A driver whose answers the test scripts, one per send in order (the last one repeats), and
 * which records what was sent where. Enough to drive `ClusterTransport`'s policy with no network.
 */
function fakeDriver(answers: readonly Answer[], options: { commandInfo?: 'answer' | 'never'; dedicatedError?: unknown } = {}) {
  const sent: Array<{ name: string; key: unknown; redirect?: Redirect }> = [];
  let refreshes = 0;
  let open = true;
  let next = 0;
  const answer = (): Promise<Reply> => {
    const scripted = answers[Math.min(next++, answers.length - 1)] as Answer;
    if (scripted === 'never') return new Promise<Reply>(() => {});
    return 'reply' in scripted ? Promise.resolve(scripted.reply) : Promise.reject(scripted.error);
  };
  const driver: ClusterDriver = {
    name: 'fake',
    protocol: 3,
    get open() {
      return open;
    },
    send(command: WireCommand, route: ClusterRoute) {
      if (command.name === 'COMMAND') {
        // INCR's first argument is its key (COMMAND INFO's fourth field is the first key's position).
        return options.commandInfo === 'never' ? new Promise<Reply>(() => {}) : Promise.resolve([['incr', 2, ['write'], 1, 1, 1]]);
      }
      sent.push({ name: command.name, key: route.key });
      return answer();
    },
    sendRedirected(redirect: Redirect, command: WireCommand, _route: ClusterRoute) {
      sent.push({ name: command.name, key: null, redirect });
      return answer();
    },
    sendToNode: () => Promise.resolve('OK'),
    primaries: async (): Promise<readonly TransportNode[]> => [{ id: 'a'.repeat(40), host: '127.0.0.1', port: 7001 }],
    dedicated: async (): Promise<DedicatedTransport> => {
      throw options.dedicatedError ?? new Error('not used');
    },
    topologyChanged: () => void refreshes++,
    close: async () => void (open = false),
  };
  return { transport: new ClusterTransport(driver), sent, refreshes: () => refreshes, closeClient: () => void (open = false) };
}

const incr: WireCommand = { name: 'INCR', args: ['counter'], routingKey: 'counter' };
const refused = (text: string): Answer => ({ error: replyErrorFor('INCR', text) });

describe('ClusterTransport: topology', () => {
  it('says it reaches a cluster', async () => {
    const { transport } = fakeDriver([{ reply: 1 }]);
    expect(transport.topology).toBe('cluster');
    await transport.close();
  });
});

describe('ClusterTransport: dedicated connections', () => {
  it('asks the driver to reread its slot map when it cannot open one (a node it no longer lists), and rejects with its error', async () => {
    const gone = new FerriteConnectionError('no node with id "b" (ask nodes() for the current ones)', { maybeApplied: false });
    const { transport, refreshes } = fakeDriver([{ reply: 1 }], { dedicatedError: gone });
    await expect(transport.dedicated({ node: 'b'.repeat(40) })).rejects.toBe(gone);
    expect(refreshes()).toBe(1);
    await transport.close();
  });
});

describe('ClusterTransport: replies that mean "not applied"', () => {
  it('sends any command again after CLUSTERDOWN and TRYAGAIN, asking the driver to reread its slot map', async () => {
    const { transport, sent, refreshes } = fakeDriver([refused('CLUSTERDOWN The cluster is down'), refused('TRYAGAIN Multiple keys request during rehashing of slot'), { reply: 7 }]);
    expect(await transport.send(incr, { signal: new AbortController().signal })).toBe(7);
    expect(sent.map((entry) => entry.key)).toEqual(['counter', 'counter', 'counter']);
    expect(refreshes()).toBe(2);
    await transport.close();
  });

  it('follows MOVED at once on the node named, then routes by the driver again if that node redirects too', async () => {
    const { transport, sent } = fakeDriver([refused('MOVED 866 127.0.0.1:7002'), refused('MOVED 866 127.0.0.1:7003'), { reply: 3 }]);
    expect(await transport.send(incr)).toBe(3);
    expect(sent.map((entry) => entry.redirect?.port ?? 'routed')).toEqual(['routed', 7002, 'routed']);
    await transport.close();
  });

  it('follows ASK once without asking the driver to reread its slot map', async () => {
    const { transport, sent, refreshes } = fakeDriver([refused('ASK 866 127.0.0.1:7002'), { reply: 4 }]);
    expect(await transport.send(incr)).toBe(4);
    expect(sent[1]?.redirect).toEqual({ kind: 'ASK', slot: 866, host: '127.0.0.1', port: 7002 });
    expect(refreshes()).toBe(0);
    await transport.close();
  });

  it('rejects with maybeApplied false when the deadline ends the wait', async () => {
    const { transport, sent } = fakeDriver([refused('CLUSTERDOWN The cluster is down')]);
    const error = await transport.send(incr, { signal: AbortSignal.timeout(150) }).catch((e: unknown) => e);
    expect(isConnectionError(error), String(error)).toBe(true);
    expect((error as FerriteConnectionError).maybeApplied).toBe(false);
    expect((error as Error).message).toMatch(/CLUSTERDOWN/);
    expect(sent.length).toBeGreaterThan(2);
    await transport.close();
  });

  it('stops waiting when the transport closes, with maybeApplied false', async () => {
    const { transport } = fakeDriver([refused('CLUSTERDOWN The cluster is down')]);
    const call = transport.send(incr, { signal: new AbortController().signal });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await transport.close();
    await expect(call).rejects.toMatchObject({ maybeApplied: false });
  });

  it('does not send again after a failure that may have applied the command, and tells the driver', async () => {
    const lost = new FerriteConnectionError('the connection closed before the reply arrived');
    const { transport, sent, refreshes } = fakeDriver([{ error: lost }, { reply: 1 }]);
    await expect(transport.send(incr)).rejects.toBe(lost);
    expect(sent).toHaveLength(1);
    expect(refreshes()).toBe(1);
    await transport.close();
  });

  it('does not try again once the user closed the driver\'s client', async () => {
    const unsent = new FerriteConnectionError('the cluster client is not connected', { maybeApplied: false });
    const { transport, sent, closeClient } = fakeDriver([{ error: unsent }]);
    closeClient();
    await expect(transport.send(incr)).rejects.toBe(unsent);
    expect(sent).toHaveLength(1);
    await transport.close();
  });
});

describe('ClusterTransport: a caller that gives up while the route is found', () => {
  it('never sends the command or batch late, and says it was not applied', async () => {
    // COMMAND INFO (to place INCR's key) never answers: the route is never found.
    const { transport, sent } = fakeDriver([{ reply: 1 }], { commandInfo: 'never' });
    const controller = new AbortController();
    const call = transport.send({ name: 'INCR', args: ['k'] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await call.catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expect((error as FerriteConnectionError).maybeApplied).toBe(false);
    const gaveUp = new AbortController();
    const batch = transport.batch([{ name: 'INCR', args: ['k'] }, { name: 'INCR', args: ['other'] }], { signal: gaveUp.signal });
    gaveUp.abort();
    for (const entry of await batch) expect(entry).toMatchObject({ ok: false, error: { maybeApplied: false } });
    expect(sent).toHaveLength(0);
    await transport.close();
  });
});

describe('ClusterTransport: order', () => {
  it('hands a batch to the driver in order, standard commands whose key must be looked up included', async () => {
    const { transport, sent } = fakeDriver([{ reply: 1 }]);
    await transport.batch([
      { name: 'INCR', args: ['first'] },
      { name: 'GET', args: ['second'], routingKey: 'second' },
      { name: 'INCR', args: ['third'] },
    ]);
    expect(sent.map((entry) => entry.key)).toEqual(['first', 'second', 'third']);
    await transport.close();
  });
});

describe('ClusterTransport: cost of a call', () => {
  it('leaves the call\'s signal unread when the command goes out at once (core makes it on first read), and reads it for a retry', async () => {
    let reads = 0;
    const controller = new AbortController();
    const options = {
      get signal() {
        reads++;
        return controller.signal;
      },
    };
    const { transport } = fakeDriver([{ reply: 1 }, refused('CLUSTERDOWN The cluster is down'), { reply: 2 }]);
    expect(await transport.send(incr, options)).toBe(1);
    expect(await transport.batch([incr, incr], options)).toEqual([
      { ok: true, value: 2 },
      { ok: true, value: 2 },
    ]);
    expect(reads).toBeGreaterThan(0);
    await transport.close();
  });

  it('never reads the signal of calls that go straight through', async () => {
    let reads = 0;
    const options = {
      get signal() {
        reads++;
        return undefined;
      },
    };
    const { transport } = fakeDriver([{ reply: 1 }]);
    await transport.send(incr, options);
    await transport.batch([incr, incr], options);
    expect(reads).toBe(0);
    await transport.close();
  });
});
