import { assertCrdtKey, assertMembers } from '../validate.js';

/** The arguments of `CRDT.SET.ADD` and `CRDT.SET.REM`, checked: `<key> <member> [<member> …]`. */
export function encodeSetMembers(key: string, ...members: string[]): string[] {
  assertCrdtKey(key);
  assertMembers(members);
  return [key, ...members];
}
