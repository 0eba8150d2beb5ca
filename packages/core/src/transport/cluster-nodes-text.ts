import type { TransportNode } from '../transport.js';

/** A primary in a `CLUSTER NODES` reply, with the slot ranges it serves (inclusive). */
export interface ListedPrimary extends TransportNode {
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

/**
 * The primaries listed in a `CLUSTER NODES` reply, for a transport that learns the topology from
 * its driver's cluster client rather than keeping a slot map of its own. One line per node:
 * `<id> <host:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slots…>`.
 * Nodes flagged as failed, without an address or still in a handshake are left out, and so are
 * slots being imported or migrated (`[…]`). The order is stable whichever node answered: by the
 * first slot each serves, then primaries without slots by id.
 */
export function primariesFromClusterNodes(text: string): ListedPrimary[] {
  const primaries: ListedPrimary[] = [];
  for (const line of text.split('\n')) {
    const [id, address, flagList, , , , , , ...ranges] = line.trim().split(' ');
    if (id === undefined || address === undefined || flagList === undefined) continue;
    const flags = flagList.split(',');
    if (!flags.includes('master') || flags.some((flag) => flag === 'fail' || flag === 'noaddr' || flag === 'handshake')) continue;
    const hostPort = address.split('@')[0] ?? '';
    const colon = hostPort.lastIndexOf(':');
    const port = Number(hostPort.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) continue;
    const slots = ranges
      .filter((range) => !range.startsWith('['))
      .map((range): [number, number] => {
        const [start = -1, end = start] = range.split('-').map(Number);
        return [start, end];
      });
    primaries.push({ id, host: hostPort.slice(0, colon), port, slots });
  }
  const firstSlot = ({ slots }: ListedPrimary): number => Math.min(Infinity, ...slots.map(([start]) => start));
  return primaries.sort((a, b) => firstSlot(a) - firstSlot(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
