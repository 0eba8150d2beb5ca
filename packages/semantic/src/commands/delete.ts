import { defineCommand, readInteger } from '@ferrite/core';
import { assertNamespace, assertText } from '../validate.js';

/**
 * `SEMANTIC.DEL <namespace> [<text>]` → how many entries went. Without text the whole namespace
 * goes, its server-side hit and miss counters included. Deleting twice leaves the same state.
 */
export const deleteCommand = defineCommand({
  name: 'SEMANTIC.DEL',
  collection: true,
  retryable: true,
  encode(namespace: string, text?: string) {
    assertNamespace(namespace);
    if (text === undefined) return [namespace];
    assertText(text);
    return [namespace, text];
  },
  decode: (reply) => readInteger(reply),
});
