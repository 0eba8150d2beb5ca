import { defineCommand, readInteger } from '@ferrite/core';
import { encodeSetMembers } from './set-members-args.js';

/**
 * `CRDT.SET.ADD <key> <member> [<member> …]` → how many members were not present before.
 * Adding a present member changes nothing, so it is retryable; after a resend the count is the
 * last attempt's, and may miss members the lost attempt added.
 */
export const crdtSetAddCommand = defineCommand({
  name: 'CRDT.SET.ADD',
  retryable: true,
  encode: encodeSetMembers,
  decode: (reply) => readInteger(reply),
});
