import { defineCommand, FerriteProtocolError, readArray, readFloat, readText, type Reply } from '@ferrite/core';
import { wireThreshold } from '../threshold.js';
import { assertNamespace, assertText, assertThreshold } from '../validate.js';

/** The best candidate the server found, with the similarity as it reports it. */
export interface SemanticMatch {
  readonly value: string;
  /** Cosine similarity in [0, 1], as the server reports it (6 decimals). */
  readonly similarity: number;
}

function decodeMatch(reply: Reply): SemanticMatch | null {
  if (reply === null) return null;
  const pair = readArray(reply);
  if (pair.length !== 2) throw new FerriteProtocolError(`SEMANTIC.GET WITHSCORE should reply 2 elements, got ${pair.length}`);
  const similarity = readFloat(pair[1] as Reply);
  if (!(similarity >= 0 && similarity <= 1)) throw new FerriteProtocolError(`similarity ${similarity} is outside 0 to 1`);
  return { value: readText(pair[0] as Reply), similarity };
}

/**
 * `SEMANTIC.GET <namespace> <text> THRESHOLD <t'> WITHSCORE` → the most similar candidate or null.
 *
 * THRESHOLD is always sent, so the client's default is the one that applies whatever the
 * server's default. `t'` is the caller's threshold lowered to cover rounding (see threshold.ts):
 * the caller must still check the reported similarity with `meetsThreshold`.
 */
export const getCommand = defineCommand({
  name: 'SEMANTIC.GET',
  collection: true,
  readonly: true,
  retryable: true,
  encode(namespace: string, text: string, threshold: number) {
    assertNamespace(namespace);
    assertText(text);
    assertThreshold(threshold);
    return [namespace, text, 'THRESHOLD', wireThreshold(threshold), 'WITHSCORE'];
  },
  decode: decodeMatch,
});
