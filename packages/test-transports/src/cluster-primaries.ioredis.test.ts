import { slotOf, type Transport, type TransportNode } from '@ferrite/core';
import { faultProxy, startEmulatorCluster, type EmulatorClusterNode, type FaultProxy, type RunningEmulatorCluster } from '@ferrite/emulator';
import { ioredisTransport } from '@ferrite/ioredis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clusterNodeFor } from './index.js';

/** ioredis' own reread of its slot table (its public `refreshSlotsCache`), awaited. */
function refreshSlotTable(client: Cluster): Promise<void> {
  return new Promise((resolve, reject) => client.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
}

// Issue 22: a primary is one the cluster names for its slots, not one ioredis holds a live
// connection to. ioredis drops a node's connection from its pool when that connection closes and
// brings it back only with a new slot table; `nodes()` must not take that moment for a departure.
describe('ioredis cluster transport: nodes() lists the primaries serving slots, whatever the connections', () => {
  let cluster: RunningEmulatorCluster;
  const proxies = new Map<string, FaultProxy>();
  let client: Cluster;
  let transport: Transport;

  beforeAll(async () => {
    cluster = await startEmulatorCluster({ primaries: 3 });
    for (const node of cluster.nodes) {
      const proxy = await faultProxy({ target: { host: node.host, port: node.port } });
      proxies.set(node.id, proxy);
      cluster.announce(node.id, { port: proxy.port });
    }
    client = new Cluster([{ host: cluster.nodes[0]?.host ?? '127.0.0.1', port: cluster.nodes[0]?.port ?? 0 }]);
    client.on('error', () => {});
    transport = ioredisTransport(client, { closeClient: true });
  });

  afterAll(async () => {
    await transport?.close();
    await Promise.allSettled([...proxies.values()].map((proxy) => proxy.close()));
    await cluster?.close();
    // The transport closed ioredis' client with it: nothing of it is left.
    expect(client.status).toBe('end');
  });

  const listed = async (): Promise<readonly TransportNode[]> => {
    if (!transport.nodes) throw new Error('the cluster transport has no nodes()');
    return transport.nodes();
  };
  const ids = async (): Promise<string[]> => (await listed()).map((node) => node.id).sort();
  const primaryIds = (): string[] =>
    cluster.nodes
      .filter((node) => node.role === 'primary')
      .map((node) => node.id)
      .sort();

  it('still lists a primary whose connection was cut and cannot reconnect, under its id and announced address', async () => {
    expect(await ids()).toEqual(primaryIds());
    const victim = cluster.nodes[2] as EmulatorClusterNode;
    const proxy = proxies.get(victim.id) as FaultProxy;
    // ioredis connects a node lazily: make it hold a connection to each, so the cut ends one.
    await Promise.all(client.nodes('master').map((node) => node.ping()));
    proxy.refuseNewConnections(true);
    try {
      await proxy.cut({ mode: 'rst' });
      // The staged event: ioredis no longer has the node among its connections.
      await vi.waitFor(() => expect(client.nodes('master').map((node) => node.options.port)).not.toContain(proxy.port), { timeout: 10_000, interval: 5 });
      const nodes = await listed();
      expect(nodes.map((node) => node.id).sort()).toEqual(primaryIds());
      expect(nodes.find((node) => node.id === victim.id)).toMatchObject({ port: proxy.port });
    } finally {
      proxy.refuseNewConnections(false);
    }
  });

  it('lists a primary once the slot table names it, and no more once its slots moved away and it left the cluster', async () => {
    const joined = await cluster.addPrimary();
    const tag = 'primaries-joined';
    const owner = await clusterNodeFor(cluster, tag);
    await cluster.moveSlot(slotOf(tag), joined.id);
    await refreshSlotTable(client);
    expect(await ids()).toEqual(primaryIds());
    expect(await ids()).toContain(joined.id);

    await cluster.moveSlot(slotOf(tag), owner.id);
    await cluster.removeNode(joined.id);
    await refreshSlotTable(client);
    expect(await ids()).not.toContain(joined.id);
    expect(await ids()).toEqual(primaryIds());
  });
});
