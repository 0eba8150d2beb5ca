import { defineCommand, readArray, readText } from '@ferrite/core';

/** `VECTOR.INDEX.LIST` → index names, sorted bytewise by the server. Has no routing key. */
export const listIndexesCommand = defineCommand({
  name: 'VECTOR.INDEX.LIST',
  keyIndex: null,
  readonly: true,
  retryable: true,
  encode: () => [],
  decode: (reply) => readArray(reply).map(readText),
});
