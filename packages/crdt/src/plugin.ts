import { definePlugin, type FerritePlugin, type PluginContext } from '@ferrite/core';
import { counterModes, createCounter, type CrdtCounter, type CrdtCounterOptions } from './counter.js';
import { createSet, type CrdtSet } from './set.js';

/**
 * `ferrite.crdt`: handles on CRDT values. A handle is cheap and holds no state but its key. A bad
 * key (empty, not a string, with CR, LF or NUL) throws `FerriteValidationError` at once, when the
 * handle is made; every method of a handle returns a promise and rejects, never throws.
 */
export interface CrdtApi {
  /** A counter whose amounts and values are `number`s (safe integers). */
  counter(key: string, options?: CrdtCounterOptions & { readonly bigint?: false }): CrdtCounter<number>;
  /** A counter whose amounts and values are `bigint`s, exact over signed 64 bits. */
  counter(key: string, options: CrdtCounterOptions & { readonly bigint: true }): CrdtCounter<bigint>;
  /** A counter in the mode `options.bigint` picks at run time. */
  counter(key: string, options?: CrdtCounterOptions): CrdtCounter<number> | CrdtCounter<bigint>;
  /** An add-wins set of strings; `Member` narrows what it holds. */
  set<Member extends string = string>(key: string): CrdtSet<Member>;
}

function createCrdtApi(context: PluginContext): CrdtApi {
  return Object.freeze({
    counter: (key: string, options?: CrdtCounterOptions) =>
      options?.bigint === true ? createCounter(context, key, counterModes.bigint) : createCounter(context, key, counterModes.number),
    set: <Member extends string>(key: string) => createSet<Member>(context, key),
  }) as CrdtApi;
}

/**
 * The CRDT plugin: `createFerrite({ transport, plugins: [crdt()] })` gives `ferrite.crdt`, with
 * counters that count each increment at most once, even when replies are lost, and add-wins sets.
 */
export function crdt(): FerritePlugin<'crdt', CrdtApi> {
  return definePlugin({ name: 'crdt', setup: createCrdtApi });
}
