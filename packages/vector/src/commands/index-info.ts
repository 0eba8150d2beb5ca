import { defineCommand, FerriteProtocolError, readInteger, readMap, readText, type Reply } from '@ferrite/core';
import type { VectorDistance, VectorIndexType } from '../types.js';
import { assertIndexName } from '../validate.js';
import { DISTANCES, INDEX_TYPES } from './create-index.js';

/** What `VECTOR.INDEX.INFO` reports about an index. */
export interface VectorIndexInfo {
  readonly name: string;
  readonly dim: number;
  readonly distance: VectorDistance;
  readonly type: VectorIndexType;
  /** Vectors stored. */
  readonly size: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly nlist: number;
}

function field(map: Map<string, Reply>, name: string): Reply {
  const value = map.get(name);
  if (value === undefined) throw new FerriteProtocolError(`VECTOR.INDEX.INFO has no "${name}" field`);
  return value;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], name: string): T {
  const upper = text.toUpperCase() as T;
  if (!allowed.includes(upper)) throw new FerriteProtocolError(`VECTOR.INDEX.INFO reports an unknown ${name} "${text}"`);
  return upper;
}

/** Reads the info map (RESP3 map or RESP2 flat array). Fields a newer server adds are ignored. */
export function decodeIndexInfo(reply: Reply): VectorIndexInfo {
  const map = readMap(reply);
  return {
    name: readText(field(map, 'name')),
    dim: readInteger(field(map, 'dim')),
    distance: oneOf(readText(field(map, 'distance')), DISTANCES, 'distance'),
    type: oneOf(readText(field(map, 'type')), INDEX_TYPES, 'index type'),
    size: readInteger(field(map, 'size')),
    m: readInteger(field(map, 'm')),
    efConstruction: readInteger(field(map, 'ef_construction')),
    nlist: readInteger(field(map, 'nlist')),
  };
}

/** `VECTOR.INDEX.INFO <index>` → {@link VectorIndexInfo}. */
export const indexInfoCommand = defineCommand({
  name: 'VECTOR.INDEX.INFO',
  collection: true,
  readonly: true,
  retryable: true,
  encode(name: string) {
    assertIndexName(name);
    return [name];
  },
  decode: decodeIndexInfo,
});
