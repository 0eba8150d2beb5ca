import { defineCommand, readArray, readInteger, readText } from '@ferrite/core';

/** A range of hash slots and the id of the primary serving it, as one node sees it. */
export interface SlotRange {
  readonly start: number;
  readonly end: number;
  readonly primary: string;
}

/**
 * `CLUSTER SLOTS` → the slot ranges and their primaries' ids, as the node that answers sees them
 * (PROTOCOL.md §8: as Redis 7). During a migration the node moving a slot away still lists it as
 * its own: it takes writes of that slot's keys until the move ends.
 */
export const clusterSlotsCommand = defineCommand({
  name: 'CLUSTER',
  keyIndex: null,
  readonly: true,
  retryable: true,
  encode: () => ['SLOTS'],
  decode(reply): SlotRange[] {
    const ranges: SlotRange[] = [];
    for (const entry of readArray(reply)) {
      const [start, end, primary] = readArray(entry);
      const id = primary === undefined ? undefined : readArray(primary)[2];
      // A server that names no ids (older than Redis 4) cannot be matched to nodes: skipped.
      if (start === undefined || end === undefined || id === undefined) continue;
      ranges.push({ start: readInteger(start), end: readInteger(end), primary: readText(id) });
    }
    return ranges;
  },
});

/** The id of the primary `ranges` give `slot` to; undefined when no range covers it. */
export function primaryOf(ranges: readonly SlotRange[], slot: number): string | undefined {
  return ranges.find((range) => range.start <= slot && slot <= range.end)?.primary;
}
