import { defineCommand, FerriteValidationError, readInteger } from '@ferrite/core';
import { assertId, assertIndexName } from '../validate.js';

/** `VECTOR.DEL <index> <key> [<key> …]` → how many were removed. Needs at least one id. */
export const deleteCommand = defineCommand({
  name: 'VECTOR.DEL',
  collection: true,
  retryable: true,
  encode(index: string, ...ids: string[]) {
    assertIndexName(index);
    if (ids.length === 0) throw new FerriteValidationError('ids', 'VECTOR.DEL needs at least one id');
    ids.forEach((id, i) => assertId(id, `ids[${i}]`));
    return [index, ...ids];
  },
  decode: (reply) => readInteger(reply),
});
