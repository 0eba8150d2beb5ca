import { defineCommand, readInteger } from '@ferrite/core';
import { assertCrdtKey, assertMembers } from '../validate.js';

/**
 * `CRDT.SET.REM <key> <member> [<member> …]` → how many members were removed. Removing an absent
 * member changes nothing, so it is retryable; after a resend the count is the last attempt's.
 */
export const crdtSetRemoveCommand = defineCommand({
  name: 'CRDT.SET.REM',
  retryable: true,
  encode(key: string, ...members: string[]) {
    assertCrdtKey(key);
    assertMembers(members);
    return [key, ...members];
  },
  decode: (reply) => readInteger(reply),
});
