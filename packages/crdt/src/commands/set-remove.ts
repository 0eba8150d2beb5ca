import { defineCommand, readInteger } from '@ferrite/core';
import { encodeSetMembers } from './set-members-args.js';

/**
 * `CRDT.SET.REM <key> <member> [<member> …]` → how many members were removed. Removing an absent
 * member changes nothing, so it is retryable; after a resend the count is the last attempt's.
 */
export const crdtSetRemoveCommand = defineCommand({
  name: 'CRDT.SET.REM',
  retryable: true,
  encode: encodeSetMembers,
  decode: (reply) => readInteger(reply),
});
