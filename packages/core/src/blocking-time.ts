import type { Arg } from './args.js';

/**
 * How long the standard blocking commands may legitimately wait for their reply, read from a
 * fixed table by keyword position: `send` knows nothing else of an arbitrary command, and a
 * value (a key, a member, a hash field that happens to read `BLOCK`) must never move a deadline.
 * Commands defined with `defineCommand` say it in their definition (`blockingMs`) instead.
 */
type Reader = (args: readonly Arg[]) => number;

function text(arg: Arg | undefined): string | undefined {
  if (typeof arg === 'string') return arg;
  if (Buffer.isBuffer(arg) && arg.length <= 32) return arg.toString('latin1');
  return undefined;
}

/** `0` on the wire means "wait for ever". Anything that is not a plain decimal adds nothing. */
function duration(arg: Arg | undefined, unitMs: number): number {
  const value = text(arg);
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value)) return 0;
  const ms = Number(value) * unitMs;
  return ms === 0 ? Infinity : ms;
}

const lastSeconds: Reader = (args) => duration(args[args.length - 1], 1000);
const firstSeconds: Reader = (args) => duration(args[0], 1000);
const lastMilliseconds: Reader = (args) => duration(args[args.length - 1], 1);

/**
 * `XREAD [COUNT n] [BLOCK ms] STREAMS …` and `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK]
 * STREAMS …`: options are read keyword by keyword, each skipping its own values, up to `STREAMS`;
 * keys and ids after it are never looked at.
 */
function streamRead(skipFirst: number): Reader {
  return (args) => {
    let index = skipFirst;
    while (index < args.length) {
      const keyword = text(args[index])?.toUpperCase();
      if (keyword === 'STREAMS' || keyword === undefined) return 0;
      if (keyword === 'BLOCK') return duration(args[index + 1], 1);
      index += keyword === 'COUNT' ? 2 : 1;
    }
    return 0;
  };
}

const TABLE: ReadonlyMap<string, Reader> = new Map([
  ['XREAD', streamRead(0)],
  // `GROUP <group> <consumer>` comes first: its names are data.
  ['XREADGROUP', streamRead(3)],
  ['BLPOP', lastSeconds],
  ['BRPOP', lastSeconds],
  ['BRPOPLPUSH', lastSeconds],
  ['BLMOVE', lastSeconds],
  ['BZPOPMIN', lastSeconds],
  ['BZPOPMAX', lastSeconds],
  ['BLMPOP', firstSeconds],
  ['BZMPOP', firstSeconds],
  ['WAIT', lastMilliseconds],
  ['WAITAOF', lastMilliseconds],
]);

/**
 * Each name as sent, with its reader (`null`: not a blocking command): this runs for every
 * `send`, and most names come back again and again. Bounded: `send` takes any name a caller makes up.
 */
const readers = new Map<string, Reader | null>();
const MAX_KNOWN_NAMES = 1024;

/**
 * Milliseconds a standard blocking command may wait on the server, added to its deadline:
 * `Infinity` for a wait without end (`BLOCK 0`, a timeout of `0`), `0` for every other command.
 */
export function blockingTime(name: string, args: readonly Arg[]): number {
  let reader = readers.get(name);
  if (reader === undefined) {
    reader = TABLE.get(name.toUpperCase()) ?? null;
    if (readers.size < MAX_KNOWN_NAMES) readers.set(name, reader);
  }
  return reader === null ? 0 : reader(args);
}
