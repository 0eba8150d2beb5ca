import type { CommandSpec, ExecutionContext } from '../command.js';
import { parseInt64 } from '../commands/arguments.js';
import { CommandError, NULL, OK, array, binary, bulk, integer, map } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { decodeVectorBlob, encodeVectorBlob } from './blob.js';
import { DISTANCE_METRICS, formatScore } from './distance.js';
import type { DistanceMetric } from './distance.js';
import { parseFilter } from './filter.js';
import type { FilterPredicate } from './filter.js';
import { INDEX_TYPES, VectorIndexStore } from './index-store.js';
import type { IndexType, VectorIndex } from './index-store.js';
import type { VectorMetadata } from './metadata.js';
import { exactSearch } from './search.js';

const MAX_DIMENSION = 32768;
const MAX_TOP_K = 10000;
const DEFAULT_TOP_K = 10;

function store(context: ExecutionContext): VectorIndexStore {
  return context.db.extension('vector', () => new VectorIndexStore());
}

function existingIndex(context: ExecutionContext, nameArg: Buffer): VectorIndex {
  const index = store(context).get(nameArg.toString('latin1'));
  if (index === undefined) throw new CommandError(`ERR Unknown index: ${nameArg.toString('utf8')}`);
  return index;
}

function metadataPairs(metadata: VectorMetadata): EngineReply {
  return array(metadata.pairs.map(binary));
}

function createIndex(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [nameArg, ...options] = args as [Buffer, ...Buffer[]];
  let dimension: number | undefined;
  let distance: DistanceMetric = 'COSINE';
  let type: IndexType = 'HNSW';
  const tuning = { M: 16n, EF_CONSTRUCTION: 200n, NLIST: 100n };
  for (let i = 0; i < options.length; i += 2) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    const valueArg = options[i + 1];
    const known = option === 'DIM' || option === 'DISTANCE' || option === 'TYPE' || Object.hasOwn(tuning, option);
    if (!known || valueArg === undefined) throw new CommandError('ERR syntax error');
    const value = valueArg.toString('utf8');
    if (option === 'DIM') {
      const parsed = parseInt64(value);
      if (parsed === undefined || parsed < 1n || parsed > BigInt(MAX_DIMENSION)) {
        throw new CommandError(`ERR invalid DIM: must be an integer between 1 and ${MAX_DIMENSION}`);
      }
      dimension = Number(parsed);
    } else if (option === 'DISTANCE') {
      const metric = DISTANCE_METRICS.find((candidate) => candidate === value.toUpperCase());
      if (metric === undefined) throw new CommandError(`ERR invalid distance metric '${value}': use COSINE, L2 or IP`);
      distance = metric;
    } else if (option === 'TYPE') {
      const indexType = INDEX_TYPES.find((candidate) => candidate === value.toUpperCase());
      if (indexType === undefined) throw new CommandError(`ERR invalid index type '${value}': use HNSW, IVF or FLAT`);
      type = indexType;
    } else {
      const parsed = parseInt64(value);
      if (parsed === undefined || parsed < 1n) throw new CommandError('ERR value is not an integer or out of range');
      tuning[option as keyof typeof tuning] = parsed;
    }
  }
  if (dimension === undefined) throw new CommandError('ERR DIM is required');
  const indexes = store(context);
  const name = nameArg.toString('latin1');
  if (indexes.has(name)) throw new CommandError(`ERR index already exists: ${nameArg.toString('utf8')}`);
  indexes.create(name, { dimension, distance, type, m: tuning.M, efConstruction: tuning.EF_CONSTRUCTION, nlist: tuning.NLIST });
  return OK;
}

function add(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [nameArg, idArg, blob, ...pairs] = args as [Buffer, Buffer, Buffer, ...Buffer[]];
  if (pairs.length % 2 !== 0) throw new CommandError("ERR wrong number of arguments for 'vector.add' command");
  const index = existingIndex(context, nameArg);
  const vector = decodeVectorBlob(blob, index.options.dimension);
  index.put(
    idArg.toString('latin1'),
    vector,
    pairs.map((pair) => pair.toString('latin1')),
  );
  return OK;
}

function search(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [nameArg, blob, ...options] = args as [Buffer, Buffer, ...Buffer[]];
  const index = existingIndex(context, nameArg);
  const query = decodeVectorBlob(blob, index.options.dimension);
  let topK = DEFAULT_TOP_K;
  let filter: FilterPredicate | undefined;
  for (let i = 0; i < options.length; i += 2) {
    const option = (options[i] as Buffer).toString('latin1').toUpperCase();
    const valueArg = options[i + 1];
    if (valueArg === undefined || (option !== 'TOP_K' && option !== 'FILTER')) throw new CommandError('ERR syntax error');
    if (option === 'TOP_K') {
      const parsed = parseInt64(valueArg);
      if (parsed === undefined || parsed < 1n || parsed > BigInt(MAX_TOP_K)) {
        throw new CommandError(`ERR TOP_K must be an integer between 1 and ${MAX_TOP_K}`);
      }
      topK = Number(parsed);
    } else {
      filter = parseFilter(valueArg.toString('utf8'));
    }
  }
  const hits = exactSearch(index, query, topK, filter);
  const items: EngineReply[] = [integer(hits.length)];
  for (const hit of hits) {
    items.push(binary(hit.id), bulk(formatScore(hit.score)));
    if (hit.metadata.size > 0) items.push(metadataPairs(hit.metadata));
  }
  return array(items);
}

function del(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const [nameArg, ...ids] = args as [Buffer, ...Buffer[]];
  const index = existingIndex(context, nameArg);
  let removed = 0;
  for (const id of ids) if (index.delete(id.toString('latin1'))) removed++;
  return integer(removed);
}

function dropIndex(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const index = existingIndex(context, args[0] as Buffer);
  store(context).drop(index.name);
  return OK;
}

function get(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const index = existingIndex(context, args[0] as Buffer);
  const entry = index.get((args[1] as Buffer).toString('latin1'));
  if (entry === undefined) return NULL;
  return array([bulk(encodeVectorBlob(entry.vector)), metadataPairs(entry.metadata)]);
}

function info(context: ExecutionContext, args: readonly Buffer[]): EngineReply {
  const index = existingIndex(context, args[0] as Buffer);
  const { options } = index;
  return map([
    [bulk('name'), binary(index.name)],
    [bulk('dim'), integer(options.dimension)],
    [bulk('distance'), bulk(options.distance)],
    [bulk('type'), bulk(options.type)],
    [bulk('size'), integer(index.size)],
    [bulk('m'), integer(options.m)],
    [bulk('ef_construction'), integer(options.efConstruction)],
    [bulk('nlist'), integer(options.nlist)],
  ]);
}

function list(context: ExecutionContext): EngineReply {
  return array(store(context).names().map(binary));
}

const keyed = { firstKey: 1, lastKey: 1, step: 1 } as const;

/**
 * docs/protocol.md#vector-search. Handlers receive the arguments after the command name; the dispatcher has
 * checked arity already.
 */
export const vectorCommands: readonly CommandSpec[] = [
  { name: 'VECTOR.INDEX.CREATE', arity: -2, flags: ['write', 'denyoom'], ...keyed, handler: createIndex },
  { name: 'VECTOR.ADD', arity: -4, flags: ['write', 'denyoom'], ...keyed, handler: add },
  { name: 'VECTOR.SEARCH', arity: -3, flags: ['readonly'], ...keyed, handler: search },
  { name: 'VECTOR.DEL', arity: -3, flags: ['write'], ...keyed, handler: del },
  { name: 'VECTOR.INDEX.DROP', arity: 2, flags: ['write'], ...keyed, handler: dropIndex },
  { name: 'VECTOR.GET', arity: 3, flags: ['readonly', 'fast'], ...keyed, handler: get },
  { name: 'VECTOR.INDEX.INFO', arity: 2, flags: ['readonly', 'fast'], ...keyed, handler: info },
  { name: 'VECTOR.INDEX.LIST', arity: 1, flags: ['readonly'], firstKey: 0, lastKey: 0, step: 0, handler: list },
];
