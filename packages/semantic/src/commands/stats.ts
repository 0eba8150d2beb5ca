import { defineCommand, FerriteProtocolError, readInteger, readMap, type Reply } from '@ferrite/core';
import { assertNamespace } from '../validate.js';

/** What the server counts for a namespace. */
export interface SemanticServerStats {
  /** Live (unexpired) entries. */
  readonly entries: number;
  /** GETs that found an entry, since the namespace was first used or last deleted whole. */
  readonly hits: number;
  readonly misses: number;
}

function field(map: Map<string, Reply>, name: string): number {
  const value = map.get(name);
  if (value === undefined) throw new FerriteProtocolError(`SEMANTIC.STATS has no ${name} field`);
  return readInteger(value);
}

/** `SEMANTIC.STATS <namespace>` → `entries`, `hits`, `misses` (a RESP3 map or a RESP2 flat array). */
export const statsCommand = defineCommand({
  name: 'SEMANTIC.STATS',
  collection: true,
  readonly: true,
  retryable: true,
  encode(namespace: string) {
    assertNamespace(namespace);
    return [namespace];
  },
  decode(reply): SemanticServerStats {
    const map = readMap(reply);
    return { entries: field(map, 'entries'), hits: field(map, 'hits'), misses: field(map, 'misses') };
  },
});
