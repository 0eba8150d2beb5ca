import { defineCommand, readBigInteger } from '@ferrite/core';
import { assertCrdtKey } from '../validate.js';

/** `CRDT.COUNTER.GET <key>` → the counter's value, exact, as a bigint (0 when the key does not exist). */
export const crdtCounterGetCommand = defineCommand({
  name: 'CRDT.COUNTER.GET',
  readonly: true,
  retryable: true,
  encode(key: string) {
    assertCrdtKey(key);
    return [key];
  },
  decode: (reply) => readBigInteger(reply),
});
