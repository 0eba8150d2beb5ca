import type { EngineContext } from '../engine-context.js';
import { latin1, upper } from '../engine-context.js';
import { CommandError, NULL, array, binary, double, integer } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { SYNTAX_ERROR, doubleArg, integerArg, parseDouble } from './arguments.js';
import { removeMembers } from './remove-members.js';
import { rankWindow } from './ranges.js';
import { FIRST_KEY, command } from './spec.js';

const NAN_SCORE = 'ERR resulting score is not a number (NaN)';

function scoresOf(context: EngineContext, key: string): Map<string, number> | undefined {
  return context.keyspace.lookupTyped(key, 'zset')?.value;
}

function writableScores(context: EngineContext, key: string): Map<string, number> {
  const existing = scoresOf(context, key);
  if (existing !== undefined) return existing;
  const value = new Map<string, number>();
  context.keyspace.put(key, { type: 'zset', value });
  return value;
}

/** Score ascending, then member bytewise (latin1 strings compare as bytes). */
function sorted(scores: Map<string, number>): Array<[string, number]> {
  return [...scores].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function zadd(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const key = latin1(args[0] as Buffer);
  const flags = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: false };
  let index = 1;
  for (; index < args.length; index++) {
    const option = upper(args[index]);
    if (option === 'NX') flags.nx = true;
    else if (option === 'XX') flags.xx = true;
    else if (option === 'GT') flags.gt = true;
    else if (option === 'LT') flags.lt = true;
    else if (option === 'CH') flags.ch = true;
    else if (option === 'INCR') flags.incr = true;
    else break;
  }
  const pairs = args.length - index;
  if (pairs % 2 !== 0 || pairs === 0) throw new CommandError(SYNTAX_ERROR);
  if (flags.nx && flags.xx) throw new CommandError('ERR XX and NX options at the same time are not compatible');
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    throw new CommandError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (flags.incr && pairs > 2) throw new CommandError('ERR INCR option supports a single increment-element pair');
  const updates: Array<[number, string]> = [];
  for (let i = index; i < args.length; i += 2) updates.push([doubleArg(args[i] as Buffer), latin1(args[i + 1] as Buffer)]);

  const existing = scoresOf(context, key);
  if (existing === undefined && flags.xx) return flags.incr ? NULL : integer(0);
  const scores = existing ?? new Map<string, number>();
  let added = 0;
  let changed = 0;
  let incrResult: number | undefined;
  for (const [score, member] of updates) {
    const current = scores.get(member);
    if (current === undefined) {
      if (flags.xx) continue;
      if (Number.isNaN(score)) throw new CommandError(NAN_SCORE);
      scores.set(member, score);
      added++;
      incrResult = score;
      continue;
    }
    if (flags.nx) continue;
    const next = flags.incr ? current + score : score;
    if (Number.isNaN(next)) throw new CommandError(NAN_SCORE);
    if ((flags.gt && next <= current) || (flags.lt && next >= current)) continue;
    incrResult = next;
    if (next !== current) {
      scores.set(member, next);
      changed++;
    }
  }
  if (existing === undefined && scores.size > 0) context.keyspace.put(key, { type: 'zset', value: scores });
  if (added + changed > 0) context.recordChange('ZADD', key, null);
  if (flags.incr) return incrResult === undefined ? NULL : double(incrResult);
  return integer(flags.ch ? added + changed : added);
}

function zincrby(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const key = latin1(args[0] as Buffer);
  const delta = doubleArg(args[1] as Buffer);
  const member = latin1(args[2] as Buffer);
  const current = scoresOf(context, key)?.get(member);
  const next = current === undefined ? delta : current + delta;
  if (Number.isNaN(next)) throw new CommandError(NAN_SCORE);
  writableScores(context, key).set(member, next);
  context.recordChange('ZINCRBY', key, null);
  return double(next);
}


/** The reply of a range: members, with scores as nested pairs in RESP3 and flat in RESP2. */
function rangeReply(context: EngineContext, slice: Array<[string, number]>, withScores: boolean): EngineReply {
  if (!withScores) return array(slice.map(([member]) => binary(member)));
  if (context.session.protocol === 3) return array(slice.map(([member, score]) => array([binary(member), double(score)])));
  return array(slice.flatMap(([member, score]) => [binary(member), double(score)]));
}

/** Range by rank (ZRANGE without BYSCORE/BYLEX, ZREVRANGE). */
function rankRange(context: EngineContext, key: string, startArg: bigint, stopArg: bigint, reverse: boolean, withScores: boolean): EngineReply {
  const scores = scoresOf(context, key);
  const window = scores && rankWindow(startArg, stopArg, scores.size);
  if (!scores || !window) return array([]);
  const ordered = sorted(scores);
  if (reverse) ordered.reverse();
  return rangeReply(context, ordered.slice(window.start, window.end), withScores);
}

/** A range end: a value (inclusive unless `(`), or one of the lex infinities `-` and `+`. */
type Bound<T> = { readonly value: T; readonly exclusive: boolean } | '-' | '+';

function scoreBound(arg: Buffer): Bound<number> {
  const text = latin1(arg);
  const exclusive = text.startsWith('(');
  const value = parseDouble(exclusive ? text.slice(1) : text);
  if (value === undefined || Number.isNaN(value)) throw new CommandError('ERR min or max is not a float');
  return { value, exclusive };
}

function lexBound(arg: Buffer): Bound<string> {
  const text = latin1(arg);
  if (text === '-' || text === '+') return text;
  if (text.startsWith('[') || text.startsWith('(')) return { value: text.slice(1), exclusive: text.startsWith('(') };
  throw new CommandError('ERR min or max not valid string range item');
}

function within<T>(value: T, min: Bound<T>, max: Bound<T>, compare: (a: T, b: T) => number): boolean {
  if (min === '+' || max === '-') return false;
  if (min !== '-') {
    const order = compare(value, min.value);
    if (min.exclusive ? order <= 0 : order < 0) return false;
  }
  if (max !== '+') {
    const order = compare(value, max.value);
    if (max.exclusive ? order >= 0 : order > 0) return false;
  }
  return true;
}

const compareNumbers = (a: number, b: number) => a - b;
const compareBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function zrange(context: EngineContext, args: readonly Buffer[]): EngineReply {
  let reverse = false;
  let withScores = false;
  let by: 'rank' | 'score' | 'lex' = 'rank';
  let limit: { offset: bigint; count: bigint } | undefined;
  for (let i = 3; i < args.length; i++) {
    const option = upper(args[i]);
    if (option === 'REV') reverse = true;
    else if (option === 'WITHSCORES') withScores = true;
    else if (option === 'BYSCORE') by = 'score';
    else if (option === 'BYLEX') by = 'lex';
    else if (option === 'LIMIT' && i + 2 < args.length) {
      limit = { offset: integerArg(args[i + 1] as Buffer), count: integerArg(args[i + 2] as Buffer) };
      i += 2;
    } else throw new CommandError(SYNTAX_ERROR);
  }
  if (limit !== undefined && by === 'rank') {
    throw new CommandError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && by === 'lex') throw new CommandError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const key = latin1(args[0] as Buffer);
  if (by === 'rank') return rankRange(context, key, integerArg(args[1] as Buffer), integerArg(args[2] as Buffer), reverse, withScores);
  // With REV the range is written max first.
  const [minArg, maxArg] = (reverse ? [args[2], args[1]] : [args[1], args[2]]) as [Buffer, Buffer];
  let inRange: (entry: [string, number]) => boolean;
  if (by === 'score') {
    const min = scoreBound(minArg);
    const max = scoreBound(maxArg);
    inRange = ([, score]) => within(score, min, max, compareNumbers);
  } else {
    const min = lexBound(minArg);
    const max = lexBound(maxArg);
    inRange = ([member]) => within(member, min, max, compareBytes);
  }
  const scores = scoresOf(context, key);
  if (scores === undefined) return array([]);
  const ordered = sorted(scores);
  if (reverse) ordered.reverse();
  let selected = ordered.filter(inRange);
  if (limit !== undefined) {
    if (limit.offset < 0n) return array([]);
    const offset = Number(limit.offset > BigInt(selected.length) ? BigInt(selected.length) : limit.offset);
    selected = limit.count < 0n ? selected.slice(offset) : selected.slice(offset, offset + Number(limit.count > BigInt(selected.length) ? BigInt(selected.length) : limit.count));
  }
  return rangeReply(context, selected, withScores);
}

function zrevrange(context: EngineContext, args: readonly Buffer[]): EngineReply {
  if (args.length > 4 || (args.length === 4 && upper(args[3]) !== 'WITHSCORES')) throw new CommandError(SYNTAX_ERROR);
  const start = integerArg(args[1] as Buffer);
  const stop = integerArg(args[2] as Buffer);
  return rankRange(context, latin1(args[0] as Buffer), start, stop, true, args.length === 4);
}

export const sortedSetCommands = [
  command('ZADD', -4, ['write', 'denyoom', 'fast'], zadd, FIRST_KEY),
  command('ZREM', -3, ['write', 'fast'], removeMembers('zset', 'ZREM'), FIRST_KEY),
  command(
    'ZSCORE',
    3,
    ['readonly', 'fast'],
    (context, args) => {
      const score = scoresOf(context, latin1(args[0] as Buffer))?.get(latin1(args[1] as Buffer));
      return score === undefined ? NULL : double(score);
    },
    FIRST_KEY,
  ),
  command('ZINCRBY', 4, ['write', 'denyoom', 'fast'], zincrby, FIRST_KEY),
  command('ZCARD', 2, ['readonly', 'fast'], (context, args) => integer(scoresOf(context, latin1(args[0] as Buffer))?.size ?? 0), FIRST_KEY),
  command('ZRANGE', -4, ['readonly'], zrange, FIRST_KEY),
  command('ZREVRANGE', -4, ['readonly'], zrevrange, FIRST_KEY),
];

