import { slotOf } from '@ferrite/core';
import type { EmulatorClusterNode, RunningEmulatorCluster } from '@ferrite/emulator';

/** Writes straight into the engine of the node that owns a key now, following redirects itself. */
export interface ClusterWriter {
  /** Sets `key`; resolves once a primary acknowledged it (never written twice, never through a proxy). */
  write(key: string, value: string): Promise<void>;
  close(): void;
}

/**
 * A producer in process: never cut by the faults a test applies to the feed's connections. It
 * follows `MOVED` and `ASK` (a slot moving, a failover) and waits out `TRYAGAIN` and `CLUSTERDOWN`.
 * `nodeAt` finds the node behind an address a redirect names (a proxy's port, say).
 */
export function clusterWriter(cluster: RunningEmulatorCluster, nodeAt: (port: number) => EmulatorClusterNode | undefined = () => undefined): ClusterWriter {
  const sessions = new Map<EmulatorClusterNode['emulator'], ReturnType<EmulatorClusterNode['emulator']['createSession']>>();
  const owners = new Map<number, EmulatorClusterNode>();
  const run = async (node: EmulatorClusterNode, argv: string[]): Promise<string | undefined> => {
    // A restarted node has a new engine: a session per engine.
    const engine = node.emulator;
    let session = sessions.get(engine);
    if (session === undefined || session.closed) {
      session = engine.createSession({ protocol: 2 });
      sessions.set(engine, session);
    }
    const reply = await engine.execute(session, argv.map((arg) => Buffer.from(arg)));
    return reply.kind === 'error' ? reply.message : undefined;
  };
  const anyPrimary = (): EmulatorClusterNode => {
    const node = cluster.nodes.find((candidate) => candidate.role === 'primary' && candidate.alive);
    if (node === undefined) throw new Error('no live primary');
    return node;
  };
  const byAddress = (address: string): EmulatorClusterNode => {
    const port = Number(address.split(':').at(-1));
    const node = nodeAt(port) ?? cluster.nodes.find((candidate) => candidate.port === port);
    if (node === undefined) throw new Error(`no node at ${address}`);
    return node;
  };
  return {
    async write(key, value) {
      const slot = slotOf(key);
      // An unknown slot's owner is learnt from the MOVED reply of any live primary: cheap, where
      // reading CLUSTER NODES per slot made the writer the slowest part of every run.
      let node = owners.get(slot) ?? anyPrimary();
      for (let attempt = 0; attempt < 1000; attempt++) {
        const error = await run(node, ['SET', key, value]);
        if (error === undefined) {
          owners.set(slot, node);
          return;
        }
        const [kind, , address = ''] = error.split(' ');
        if (kind === 'MOVED') node = byAddress(address);
        else if (kind === 'ASK') {
          const target = byAddress(address);
          await run(target, ['ASKING']);
          if ((await run(target, ['SET', key, value])) === undefined) return;
        } else if (kind === 'TRYAGAIN' || kind === 'CLUSTERDOWN') {
          await new Promise((resolve) => setTimeout(resolve, 10));
        } else throw new Error(error);
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error(`could not write ${key}`);
    },
    close() {
      for (const session of sessions.values()) session.close();
    },
  };
}
