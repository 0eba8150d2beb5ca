import type { DedicatedOptions, TransportNode } from '@ferrite/core';
import { slotOf } from '@ferrite/core';
import { primariesFromClusterNodes, unknownNode, type ListedPrimary } from '@ferrite/core/transport';
import { Decoder, type GlideClusterClient, type Routes } from '@valkey/valkey-glide';

/**
 * The cluster's primaries as GLIDE's client reaches them, asked of a node GLIDE picks
 * (`CLUSTER NODES`). Also the address book for calls to one node: GLIDE routes by the address a
 * node announces.
 */
export class ClusterTopology {
  readonly #client: GlideClusterClient;
  #known = new Map<string, TransportNode>();

  constructor(client: GlideClusterClient) {
    this.#client = client;
  }

  async nodes(): Promise<readonly TransportNode[]> {
    return (await this.#primaries()).map(({ id, host, port }) => ({ id, host, port }));
  }

  async #primaries(): Promise<ListedPrimary[]> {
    const text = await this.#client.customCommand(['CLUSTER', 'NODES'], { route: 'randomNode', decoder: Decoder.String });
    const primaries = primariesFromClusterNodes(String(text));
    this.#known = new Map(primaries.map(({ id, host, port }) => [id, { id, host, port }]));
    return primaries;
  }

  /** The node with this id, asking the cluster again when it is not one seen last time. */
  async node(id: string): Promise<TransportNode> {
    const seen = this.#known.get(id) ?? (await this.nodes(), this.#known.get(id));
    if (seen === undefined) throw unknownNode(id);
    return seen;
  }

  /** GLIDE's route to one node, unrouted by slot. */
  async routeTo(id: string): Promise<Routes> {
    const { host, port } = await this.node(id);
    return { type: 'routeByAddress', host, port };
  }

  /** Where a dedicated connection goes: the named node, the owner of a key's slot as the cluster says now, or any primary. */
  async dedicatedNode(options: DedicatedOptions | undefined): Promise<TransportNode> {
    if (options?.node !== undefined) return this.node(options.node);
    const primaries = await this.#primaries();
    const slot = options?.routingKey === undefined ? undefined : slotOf(options.routingKey);
    const chosen = slot === undefined ? primaries[0] : primaries.find(({ slots }) => slots.some(([start, end]) => slot >= start && slot <= end));
    if (chosen === undefined) throw unknownNode(slot === undefined ? 'any primary' : `the owner of slot ${slot}`);
    return this.node(chosen.id);
  }
}
