import { defineCommand, readOk } from '@ferrite/core';
import { assertIndexName } from '../validate.js';

/** `VECTOR.INDEX.DROP <index>` → OK. Not retryable: a second drop fails with "Unknown index". */
export const dropIndexCommand = defineCommand({
  name: 'VECTOR.INDEX.DROP',
  collection: true,
  encode(name: string) {
    assertIndexName(name);
    return [name];
  },
  decode: (reply) => void readOk(reply),
});
