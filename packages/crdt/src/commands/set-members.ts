import { defineCommand, readArray, readText } from '@ferrite/core';
import { assertCrdtKey } from '../validate.js';

/** `CRDT.SET.MEMBERS <key>` → the members, in no promised order (empty when the key does not exist). */
export const crdtSetMembersCommand = defineCommand({
  name: 'CRDT.SET.MEMBERS',
  readonly: true,
  retryable: true,
  encode(key: string) {
    assertCrdtKey(key);
    return [key];
  },
  decode: (reply) => readArray(reply).map(readText),
});
