import { FerriteConnectionError } from '../errors.js';
import type { TransportNode } from '../transport.js';

/**
 * For a transport over one server: its only node, and a check that a call asking for a node
 * (`TransportSendOptions.node`, `DedicatedOptions.node`) asked for this one. The id is
 * `host:port`, stable for the transport's life.
 */
export class SingleNode {
  readonly node: TransportNode;

  constructor(host: string, port: number, id = `${host}:${port}`) {
    this.node = { id, host, port };
  }

  nodes(): Promise<readonly TransportNode[]> {
    return Promise.resolve([this.node]);
  }

  /** Throws (never sent, so `maybeApplied` false) when `requested` names another node. */
  assert(requested: string | undefined): void {
    if (requested !== undefined && requested !== this.node.id) throw unknownNode(requested);
  }
}

/** The error for a node id the transport does not know (never sent). */
export function unknownNode(id: string): FerriteConnectionError {
  return new FerriteConnectionError(`no node with id ${JSON.stringify(id.slice(0, 100))} (ask nodes() for the current ones)`, { maybeApplied: false });
}
