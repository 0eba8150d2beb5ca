import { createFerrite, isConnectionError, isTimeoutError } from '@ferrite/core';
import { faultSuiteProbe, type FaultSuiteSetup } from '@ferrite/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterFaultServer } from './fault-servers.js';

/** How the driver under test reports a command for a node it cannot reach. */
export interface ClusterNodeDownOptions {
  /**
   * Why the driver cannot say that such a command was never written, so its error says it may
   * have been (Valkey GLIDE's cluster client retries a request by itself, and only its last
   * attempt is known unwritten). Default: the driver knows, and says `maybeApplied: false`.
   */
  readonly unwrittenUnknown?: string;
}

/**
 * A cluster case beyond the fault suite: one primary of three goes down while a cluster client
 * works on keys of all three (`setup` as in fault-targets.ts).
 */
export function describeClusterNodeDown(label: string, setup: FaultSuiteSetup<ClusterFaultServer>, options: ClusterNodeDownOptions = {}): void {
  describe(`cluster faults: ${label}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    });

    const deadIncr = options.unwrittenUnknown === undefined ? 'says it never ran' : `says it may have run and is never applied (${options.unwrittenUnknown})`;
    it(`serves the keys of the nodes still up while one is down, and an INCR queued for the dead one ${deadIncr}`, async () => {
      const server = await setup.start();
      cleanups.push(() => server.close());
      const target = await setup.connect(server);
      const ferrite = createFerrite({ transport: target.transport, timeout: 1500 });
      cleanups.push(async () => {
        await ferrite.close();
        await target.teardown();
      });
      // kill() takes the seed's node away; one key it serves, one on each other node.
      const keys = Array.from({ length: 64 }, (_, i) => `cluster-faults:${label}:${process.pid}:down:${i}`);
      const dead = keys.find((key) => server.proxyOf(key).port === server.proxy.port) as string;
      const alive = [...new Set(keys.map((key) => server.proxyOf(key)))].filter((proxy) => proxy.port !== server.proxy.port).map((proxy) => keys.find((key) => server.proxyOf(key) === proxy) as string);
      expect(alive).toHaveLength(2);
      // Every node's connection is open (keyless commands go to the primaries in turn).
      for (const key of [dead, ...alive]) expect(await ferrite.send('EXISTS', key)).toBe(0);
      for (let i = 0; i < 3; i++) expect(await ferrite.send('PING')).toBe('PONG');
      await server.kill();
      // Where each command's key is (COMMAND INFO) is asked now, of the primaries in turn: three
      // commands ask each primary once, the dead one included, which must not matter.
      for (const [name, args, expected] of [['INCRBY', ['2'], 2], ['DECRBY', ['3'], -1], ['DECR', [], -2]] as const) {
        for (const key of alive) expect(await ferrite.send(name, key, ...args), `${name} ${key}`).toBe(expected);
      }
      const error = await ferrite.send('INCR', dead).catch((e: unknown) => e);
      expect(isTimeoutError(error) || isConnectionError(error), String(error)).toBe(true);
      const { maybeApplied } = error as { maybeApplied?: boolean };
      expect(maybeApplied, String(error)).toBe(options.unwrittenUnknown === undefined ? false : true);
      expect(await server.counter(dead)).toBe(0);
    }, 20_000);

    it('answers a retryable read made while the nodes cannot be reached, once they can again (held by the driver, or retried by core)', async () => {
      const server = await setup.start();
      cleanups.push(() => server.close());
      const target = await setup.connect(server);
      // Attempts enough for core's backoff to span the outage: the deadline bounds the call.
      const ferrite = createFerrite({ transport: target.transport, plugins: [faultSuiteProbe], timeout: 10_000, maxAttempts: 30 });
      cleanups.push(async () => {
        await ferrite.close();
        await target.teardown();
      });
      const away = `cluster-faults:${label}:${process.pid}:away`;
      // Every node's proxy: GLIDE's cluster client holds a request for one node it lost a while.
      const proxy = server.proxy;
      expect(await ferrite.send('SET', away, 'kept')).toBe('OK');
      proxy.refuseNewConnections();
      await proxy.cut({ mode: 'rst' });
      // Once the client has seen the reset, the read is made while it cannot reconnect (GLIDE's
      // cluster client then fails it at once: this passes only through core's retries).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const read = ferrite.probe.get(away).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.refuseNewConnections(false);
      expect(await read).toBe('kept');
    }, 20_000);
  });
}
