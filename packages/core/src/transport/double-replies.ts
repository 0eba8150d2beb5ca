import type { WireCommand } from '../transport.js';

/**
 * Where a reply of a standard command carries doubles (scores, coordinates, float increments)
 * rather than integers. RESP3 sends such doubles with their own type, but a whole one (`ZSCORE`
 * of 3) is `,3`, which a driver may hand over exactly as it hands over the integer 3; drivers that
 * parse known commands' replies into numbers do so in RESP2 too. Only the command tells them apart.
 *
 * - `'none'`: every number is an integer;
 * - `'all'`: every number is a double (members, keys and fields are strings anyway);
 * - `'second'`: `[integer, double]` (`ZRANK … WITHSCORE`).
 */
export type DoubleLayout = 'none' | 'all' | 'second';

const ALL_DOUBLES: ReadonlySet<string> = new Set([
  'ZSCORE',
  'ZMSCORE',
  'ZINCRBY',
  'ZRANGE',
  'ZRANGEBYSCORE',
  'ZRANGEBYLEX',
  'ZREVRANGE',
  'ZREVRANGEBYSCORE',
  'ZREVRANGEBYLEX',
  'ZUNION',
  'ZINTER',
  'ZDIFF',
  'ZRANDMEMBER',
  'ZPOPMIN',
  'ZPOPMAX',
  'BZPOPMIN',
  'BZPOPMAX',
  'ZMPOP',
  'BZMPOP',
  'GEOPOS',
  'GEODIST',
  'INCRBYFLOAT',
  'HINCRBYFLOAT',
]);

function isKeyword(arg: WireCommand['args'][number], keyword: string): boolean {
  const text = typeof arg === 'string' ? arg : Buffer.from(arg).toString('latin1');
  return text.toUpperCase() === keyword;
}

/** Where the numbers of `command`'s reply are doubles; see {@link DoubleLayout}. */
export function doubleLayout(command: WireCommand): DoubleLayout {
  const name = command.name.toUpperCase();
  if (ALL_DOUBLES.has(name)) return 'all';
  // ZADD replies with a count, or with the new score when asked for INCR.
  if (name === 'ZADD') return command.args.some((arg) => isKeyword(arg, 'INCR')) ? 'all' : 'none';
  if (name === 'ZRANK' || name === 'ZREVRANK') return 'second';
  return 'none';
}
