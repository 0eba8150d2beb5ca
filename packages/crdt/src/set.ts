import type { PluginContext } from '@ferrite/core';
import { crdtSetAddCommand } from './commands/set-add.js';
import { crdtSetMembersCommand } from './commands/set-members.js';
import { crdtSetRemoveCommand } from './commands/set-remove.js';
import { toCrdtError } from './errors.js';
import { assertCrdtKey, assertMembers } from './validate.js';

/**
 * An observed-remove set of strings at one key: a remove deletes only the adds this replica has
 * seen, so an add concurrent with a remove (on another replica) wins. `Member` narrows the member
 * type, e.g. `set<'red' | 'blue'>('colors')`.
 *
 * `add` and `remove` are idempotent and so resent after a lost reply; their counts are then the
 * last attempt's.
 */
export interface CrdtSet<Member extends string = string> {
  readonly key: string;
  /** Adds members (at least one) and resolves to how many were not present before. */
  add(...members: Member[]): Promise<number>;
  /** Removes members (at least one) and resolves to how many were present. */
  remove(...members: Member[]): Promise<number>;
  /** Every member, in no promised order; empty when the key does not exist. */
  members(): Promise<Member[]>;
  /** Whether `member` is in the set. Computed from `CRDT.SET.MEMBERS` (the protocol has no membership command): it reads the whole set. */
  has(member: Member): Promise<boolean>;
  /** How many members the set has. Computed from `CRDT.SET.MEMBERS`: it reads the whole set. */
  size(): Promise<number>;
}

export function createSet<Member extends string>(context: PluginContext, key: string): CrdtSet<Member> {
  assertCrdtKey(key);
  const run = async <Result>(call: () => Promise<Result>): Promise<Result> => {
    try {
      return await call();
    } catch (error) {
      throw toCrdtError(error);
    }
  };
  const members = () => run(() => context.call(crdtSetMembersCommand, key)) as Promise<Member[]>;
  return Object.freeze({
    key,
    add: (...added: Member[]) => run(() => context.call(crdtSetAddCommand, key, ...added)),
    remove: (...removed: Member[]) => run(() => context.call(crdtSetRemoveCommand, key, ...removed)),
    members,
    async has(member: Member) {
      assertMembers([member]);
      return (await members()).includes(member);
    },
    size: async () => (await members()).length,
  });
}
