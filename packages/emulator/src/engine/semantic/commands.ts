import type { CommandSpec, ExecutionContext } from '../command.js';
import { parseInt64 } from '../commands/arguments.js';
import { CommandError, NULL, OK, array, bulk, integer, map } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { SemanticCacheStore } from './cache-store.js';
import { formatSimilarity } from './similarity.js';

const DEFAULT_THRESHOLD = 0.85;
/** Keeps `now + seconds * 1000` an exact, valid time. */
const MAX_EXPIRE_SECONDS = 100_000_000_000;
const FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function store(context: ExecutionContext): SemanticCacheStore {
  return context.db.extension('semantic', () => new SemanticCacheStore());
}

function set(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [namespace, text, value, ...options] = args as [Buffer, Buffer, Buffer, ...Buffer[]];
  let seconds = context.semanticDefaultTtl;
  for (let i = 0; i < options.length; i += 2) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    const argument = options[i + 1];
    if (option !== 'EX' || argument === undefined) throw new CommandError('ERR syntax error');
    const parsed = Number(parseInt64(argument) ?? Number.NaN);
    if (!(parsed > 0 && parsed <= MAX_EXPIRE_SECONDS)) throw new CommandError("ERR invalid expire time in 'semantic.set' command");
    seconds = parsed;
  }
  const now = context.now();
  const expiresAt = seconds === undefined ? undefined : now + seconds * 1000;
  const embedding = context.embed(text.toString('utf8'));
  store(context).set(namespace.toString('latin1'), text.toString('latin1'), Buffer.from(value), embedding, expiresAt);
  return OK;
}

function get(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [namespace, text, ...options] = args as [Buffer, Buffer, ...Buffer[]];
  let threshold = DEFAULT_THRESHOLD;
  let withScore = false;
  for (let i = 0; i < options.length; i++) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    if (option === 'WITHSCORE') {
      withScore = true;
      continue;
    }
    const argument = options[i + 1];
    if (option !== 'THRESHOLD' || argument === undefined) throw new CommandError('ERR syntax error');
    i++;
    const raw = argument.toString('utf8');
    if (!FLOAT.test(raw)) throw new CommandError('ERR value is not a valid float');
    threshold = Number(raw);
    if (!(threshold >= 0 && threshold <= 1)) throw new CommandError(`ERR invalid threshold: ${raw} (must be 0.0 to 1.0)`);
  }
  const query = context.embed(text.toString('utf8'));
  const hit = store(context).lookup(namespace.toString('latin1'), query, threshold, context.now());
  if (hit === undefined) return NULL;
  if (!withScore) return bulk(hit.entry.value);
  return array([bulk(hit.entry.value), bulk(formatSimilarity(hit.similarity))]);
}

function del(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  if (args.length > 2) throw new CommandError("ERR wrong number of arguments for 'semantic.del' command");
  const [namespace, text] = args as [Buffer, Buffer | undefined];
  const cache = store(context);
  const now = context.now();
  if (text === undefined) return integer(cache.drop(namespace.toString('latin1'), now));
  return integer(cache.delete(namespace.toString('latin1'), text.toString('latin1'), now) ? 1 : 0);
}

function stats(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const { entries, hits, misses } = store(context).stats((args[0] as Buffer).toString('latin1'), context.now());
  return map([
    [bulk('entries'), integer(entries)],
    [bulk('hits'), integer(hits)],
    [bulk('misses'), integer(misses)],
  ]);
}

const keyed = { firstKey: 1, lastKey: 1, step: 1 } as const;

/** docs/protocol.md#semantic-cache. Handlers receive the arguments after the command name. */
export const semanticCommands: readonly CommandSpec[] = [
  { name: 'SEMANTIC.SET', arity: -4, flags: ['write', 'denyoom'], ...keyed, handler: set },
  { name: 'SEMANTIC.GET', arity: -3, flags: ['readonly'], ...keyed, handler: get },
  { name: 'SEMANTIC.DEL', arity: -2, flags: ['write'], ...keyed, handler: del },
  { name: 'SEMANTIC.STATS', arity: 2, flags: ['readonly', 'fast'], ...keyed, handler: stats },
];
