import {
  defineCommand,
  encodeVector,
  FerriteProtocolError,
  FerriteValidationError,
  readArray,
  readFloat,
  readStringRecord,
  readText,
  type Reply,
  type VectorInput,
} from '@ferrite/core';
import type { SearchHit, StoredMetadata } from '../types.js';
import { assertIndexName, assertTopK } from '../validate.js';

/** Options of `vectorSearchCommand`, with the filter already compiled. */
export interface SearchCommandOptions {
  /** 1 to 10000; the server's default is 10. */
  readonly topK?: number | undefined;
  /** A FILTER expression, already compiled. */
  readonly filter?: string | undefined;
  /** The index's dimension when known: a query of another length is rejected before sending. */
  readonly dimension?: number | undefined;
}

const EMPTY: StoredMetadata = Object.freeze(Object.create(null) as StoredMetadata);

function isCount(reply: Reply | undefined): boolean {
  return typeof reply === 'number' || typeof reply === 'bigint';
}

/**
 * Reads `[n, id, score, [meta…]?, id, score, …]`. The metadata array is present only for hits
 * that have metadata, and the leading count may be missing: both are allowed by {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#vector-search | the wire contract},
 * so the hits are walked by shape, not by stride, and the count is not trusted.
 */
export function decodeSearchReply(reply: Reply): SearchHit[] {
  const items = readArray(reply);
  const hits: SearchHit[] = [];
  let i = isCount(items[0]) ? 1 : 0;
  while (i < items.length) {
    const id = items[i] as Reply;
    const score = items[i + 1];
    if (score === undefined) throw new FerriteProtocolError(`VECTOR.SEARCH hit "${readText(id)}" has no score`);
    if (Array.isArray(id) || id === null) throw new FerriteProtocolError(`VECTOR.SEARCH expected a hit id at position ${i}`);
    i += 2;
    let metadata = EMPTY;
    const next = items[i];
    if (Array.isArray(next) || next instanceof Map) {
      metadata = readStringRecord(next);
      i += 1;
    }
    hits.push({ id: readText(id), score: readFloat(score), metadata });
  }
  return hits;
}

/** `VECTOR.SEARCH <index> <blob> [TOP_K <k>] [FILTER <expr>]` → hits, closest first. */
export const searchCommand = defineCommand({
  name: 'VECTOR.SEARCH',
  collection: true,
  readonly: true,
  retryable: true,
  encode(index: string, query: VectorInput, options: SearchCommandOptions = {}) {
    assertIndexName(index);
    const blob = encodeVector(query, { dimension: options.dimension, field: 'query' });
    const args: (string | number | Buffer)[] = [index, blob];
    if (options.topK !== undefined) {
      assertTopK(options.topK);
      args.push('TOP_K', options.topK);
    }
    if (options.filter !== undefined) {
      if (typeof options.filter !== 'string') throw new FerriteValidationError('filter', 'expected a string');
      if (options.filter.trim() === '') throw new FerriteValidationError('filter', 'must not be empty');
      args.push('FILTER', options.filter);
    }
    return args;
  },
  decode: decodeSearchReply,
});
