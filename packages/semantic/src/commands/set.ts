import { defineCommand, readOk } from '@ferrite/core';
import { assertNamespace, assertText, assertTtl, assertValue } from '../validate.js';

/**
 * `SEMANTIC.SET <namespace> <text> <value> [EX <seconds>]` → OK. Replaces the entry for the same
 * exact text, expiry included, so sending it twice has the effect of once: retryable.
 * `ttl` undefined sends no EX (the entry lives until deleted, or the server's own default TTL).
 */
export const setCommand = defineCommand({
  name: 'SEMANTIC.SET',
  collection: true,
  retryable: true,
  encode(namespace: string, text: string, value: string, ttl?: number) {
    assertNamespace(namespace);
    assertText(text);
    assertValue(value);
    if (ttl === undefined) return [namespace, text, value];
    assertTtl(ttl);
    return [namespace, text, value, 'EX', ttl];
  },
  decode: (reply) => void readOk(reply),
});
