import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../testing/emulator-connection.js';
import type { TestConnection, TestEmulator } from '../testing/emulator-connection.js';
import { plain } from '../testing/raw-client.js';
import type { Plain, RespArgument, RespValue } from '../testing/raw-client.js';
import { vectorCommands } from './commands.js';

function blob(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer;
}

describe.each([2, 3] as const)('VECTOR.* over RESP%i', (protocol) => {
  let emulator: TestEmulator;
  let connection: TestConnection;
  const send = async (...args: RespArgument[]) => plain(await connection.send(...args));
  const raw = (...args: RespArgument[]): Promise<RespValue> => connection.send(...args);
  const error = (message: string) => ({ error: message });

  beforeEach(async () => {
    emulator = await startTestEmulator(protocol);
    connection = await emulator.connect();
  });
  afterEach(async () => {
    await emulator.close();
  });

  describe('VECTOR.INDEX.CREATE', () => {
    it('creates with defaults and reports them in VECTOR.INDEX.INFO', async () => {
      expect(await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '3')).toBe('+OK');
      const info = await raw('VECTOR.INDEX.INFO', 'idx');
      const expected: Array<[string, string | number]> = [
        ['name', 'idx'],
        ['dim', 3],
        ['distance', 'COSINE'],
        ['type', 'HNSW'],
        ['size', 0],
        ['m', 16],
        ['ef_construction', 200],
        ['nlist', 100],
      ];
      if (protocol === 3) {
        expect(info.type).toBe('map');
        expect(plain(info)).toEqual(new Map(expected));
      } else {
        expect(info.type).toBe('array');
        expect(plain(info)).toEqual(expected.flat());
      }
    });

    it('takes options in any order and any case', async () => {
      expect(await send('vector.index.create', 'i2', 'nlist', '7', 'type', 'flat', 'distance', 'l2', 'ef_construction', '9', 'M', '4', 'dim', '2')).toBe('+OK');
      const info = plain(await raw('VECTOR.INDEX.INFO', 'i2'));
      const fields = info instanceof Map ? Object.fromEntries(info) : Object.fromEntries(chunks(info as unknown[]));
      expect(fields).toMatchObject({ dim: 2, distance: 'L2', type: 'FLAT', m: 4, ef_construction: 9, nlist: 7 });
    });

    it.each([
      [['DIM', '0'], 'ERR invalid DIM: must be an integer between 1 and 32768'],
      [['DIM', '32769'], 'ERR invalid DIM: must be an integer between 1 and 32768'],
      [['DIM', '1.5'], 'ERR invalid DIM: must be an integer between 1 and 32768'],
      [['DISTANCE', 'L2'], 'ERR DIM is required'],
      [['DIM', '2', 'DISTANCE', 'manhattan'], "ERR invalid distance metric 'manhattan': use COSINE, L2 or IP"],
      [['DIM', '2', 'TYPE', 'lsh'], "ERR invalid index type 'lsh': use HNSW, IVF or FLAT"],
      [['DIM', '2', 'M', '0'], 'ERR value is not an integer or out of range'],
      [['DIM', '2', 'EF_CONSTRUCTION', '-1'], 'ERR value is not an integer or out of range'],
      [['DIM', '2', 'NLIST', 'x'], 'ERR value is not an integer or out of range'],
      [['DIM', '2', 'SHARDS', '3'], 'ERR syntax error'],
      [['DIM', '2', 'M'], 'ERR syntax error'],
    ])('rejects %j with %s', async (options, message) => {
      expect(await send('VECTOR.INDEX.CREATE', 'bad', ...options)).toEqual(error(message));
      expect(await send('VECTOR.INDEX.LIST')).toEqual([]);
    });

    it('refuses an existing name and checks arity', async () => {
      await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '2');
      expect(await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '2')).toEqual(error('ERR index already exists: idx'));
      expect(await send('VECTOR.INDEX.CREATE')).toEqual(error("ERR wrong number of arguments for 'vector.index.create' command"));
    });
  });

  describe('VECTOR.ADD and VECTOR.GET', () => {
    beforeEach(async () => {
      await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '2');
    });

    it('stores the vector and its metadata, replacing both whole', async () => {
      expect(await send('VECTOR.ADD', 'idx', 'a', blob(1, 2), 'color', 'red', 'size', 'L', 'color', 'blue')).toBe('+OK');
      const stored = await raw('VECTOR.GET', 'idx', 'a');
      expect(stored.type).toBe('array');
      const [vector, metadata] = (stored as { items: RespValue[] }).items;
      expect(vector).toEqual({ type: 'bulk', value: blob(1, 2) });
      expect(plain(metadata as RespValue)).toEqual(['color', 'blue', 'size', 'L']);
      await send('VECTOR.ADD', 'idx', 'a', blob(3, 4), 'shape', 'round');
      expect(await send('VECTOR.GET', 'idx', 'a')).toEqual([blob(3, 4).toString('utf8'), ['shape', 'round']]);
      await send('VECTOR.ADD', 'idx', 'a', blob(3, 4));
      expect(await send('VECTOR.GET', 'idx', 'a')).toEqual([blob(3, 4).toString('utf8'), []]);
    });

    it('replies null for a missing vector, `$-1` in RESP2 and `_` in RESP3', async () => {
      expect(await raw('VECTOR.GET', 'idx', 'nope')).toEqual(protocol === 3 ? { type: 'null' } : { type: 'bulk', value: null });
    });

    it('keeps binary ids, fields and values exact', async () => {
      const id = Buffer.from([0, 255, 13, 10]);
      const value = Buffer.from([1, 2, 0, 200]);
      await send('VECTOR.ADD', 'idx', id, blob(1, 0), Buffer.from([0xe9]), value);
      const reply = (await raw('VECTOR.SEARCH', 'idx', blob(1, 0))) as { items: RespValue[] };
      expect(reply.items[1]).toEqual({ type: 'bulk', value: id });
      expect(reply.items[3]).toEqual({ type: 'array', items: [{ type: 'bulk', value: Buffer.from([0xe9]) }, { type: 'bulk', value }] });
    });

    it.each([
      [[blob(1, 2).subarray(0, 7)], 'ERR invalid vector blob: length 7 is not a multiple of 4'],
      [[blob(1, 2, 3)], 'ERR dimension mismatch: expected 2, got 3'],
      [[blob(1, Number.NaN)], 'ERR vector contains a non-finite value'],
      [[blob(Number.NEGATIVE_INFINITY, 1)], 'ERR vector contains a non-finite value'],
      [[blob(1, 2), 'lonely-field'], "ERR wrong number of arguments for 'vector.add' command"],
    ])('VECTOR.ADD rejects %#: %s', async (rest, message) => {
      expect(await send('VECTOR.ADD', 'idx', 'a', ...rest)).toEqual(error(message));
      expect(await send('VECTOR.GET', 'idx', 'a')).toBeNull();
    });

    it('names an unknown index', async () => {
      expect(await send('VECTOR.ADD', 'nope', 'a', blob(1, 2))).toEqual(error('ERR Unknown index: nope'));
      expect(await send('VECTOR.GET', 'nope', 'a')).toEqual(error('ERR Unknown index: nope'));
      expect(await send('VECTOR.ADD', 'idx', 'a')).toEqual(error("ERR wrong number of arguments for 'vector.add' command"));
    });
  });

  describe('VECTOR.SEARCH', () => {
    beforeEach(async () => {
      await send('VECTOR.INDEX.CREATE', 'l2', 'DIM', '2', 'DISTANCE', 'L2');
    });

    it('replies [count, id, score, metadata only when present], nearest first, ties by id', async () => {
      await send('VECTOR.ADD', 'l2', 'b', blob(3, 4), 'tag', 'x');
      await send('VECTOR.ADD', 'l2', 'a', blob(3, 4));
      await send('VECTOR.ADD', 'l2', 'c', blob(0, 1));
      const reply = await raw('VECTOR.SEARCH', 'l2', blob(0, 0));
      expect(reply.type === 'array' ? reply.items?.[0] : reply).toEqual({ type: 'integer', value: 3n });
      expect(plain(reply)).toEqual([3, 'c', '1.000000', 'a', '5.000000', 'b', '5.000000', ['tag', 'x']]);
    });

    it('defaults TOP_K to 10 and honours TOP_K and FILTER in either order', async () => {
      for (let i = 0; i < 12; i++) await send('VECTOR.ADD', 'l2', `v${String(i).padStart(2, '0')}`, blob(i, 0), 'n', String(i));
      const all = (await send('VECTOR.SEARCH', 'l2', blob(0, 0))) as unknown[];
      expect(all[0]).toBe(10);
      expect(all.filter((item) => typeof item === 'string' && item.startsWith('v'))).toHaveLength(10);
      expect(await send('VECTOR.SEARCH', 'l2', blob(0, 0), 'filter', 'n >= 10', 'top_k', '1')).toEqual([1, 'v10', '10.000000', ['n', '10']]);
      expect(await send('VECTOR.SEARCH', 'l2', blob(0, 0), 'TOP_K', '2', 'FILTER', "n IN ('3', '4') AND NOT n = 3")).toEqual([1, 'v04', '4.000000', ['n', '4']]);
    });

    it('replies [0] for an empty index or a filter that matches nothing', async () => {
      expect(await raw('VECTOR.SEARCH', 'l2', blob(1, 1))).toEqual({ type: 'array', items: [{ type: 'integer', value: 0n }] });
      await send('VECTOR.ADD', 'l2', 'a', blob(1, 1));
      expect(await send('VECTOR.SEARCH', 'l2', blob(1, 1), 'FILTER', "missing = 'x'")).toEqual([0]);
    });

    it('scores COSINE as 1 - cos and IP as the negated dot product, with 6 decimals', async () => {
      await send('VECTOR.INDEX.CREATE', 'cos', 'DIM', '2');
      await send('VECTOR.INDEX.CREATE', 'ip', 'DIM', '2', 'DISTANCE', 'IP');
      for (const index of ['cos', 'ip']) {
        await send('VECTOR.ADD', index, 'same', blob(2, 0));
        await send('VECTOR.ADD', index, 'right', blob(0, 3));
        await send('VECTOR.ADD', index, 'opposite', blob(-1, 0));
        await send('VECTOR.ADD', index, 'zero', blob(0, 0));
      }
      expect(await send('VECTOR.SEARCH', 'cos', blob(1, 0))).toEqual([4, 'same', '0.000000', 'right', '1.000000', 'zero', '1.000000', 'opposite', '2.000000']);
      expect(await send('VECTOR.SEARCH', 'ip', blob(1, 0))).toEqual([4, 'same', '-2.000000', 'right', '0.000000', 'zero', '0.000000', 'opposite', '1.000000']);
    });

    it.each([
      [['TOP_K', '0'], 'ERR TOP_K must be an integer between 1 and 10000'],
      [['TOP_K', '10001'], 'ERR TOP_K must be an integer between 1 and 10000'],
      [['TOP_K', 'ten'], 'ERR TOP_K must be an integer between 1 and 10000'],
      [['FILTER', 'a ='], 'ERR syntax error in FILTER: expected a quoted string or a number but found end of expression'],
      [['FILTER', "a = 'x"], 'ERR syntax error in FILTER: unterminated string literal at position 4'],
      [['TOP_K'], 'ERR syntax error'],
      [['LIMIT', '3'], 'ERR syntax error'],
    ])('rejects options %j with %s', async (options, message) => {
      expect(await send('VECTOR.SEARCH', 'l2', blob(0, 0), ...options)).toEqual(error(message));
    });

    it('rejects the query vector as VECTOR.ADD does, and an unknown index', async () => {
      expect(await send('VECTOR.SEARCH', 'l2', Buffer.alloc(5))).toEqual(error('ERR invalid vector blob: length 5 is not a multiple of 4'));
      expect(await send('VECTOR.SEARCH', 'l2', blob(1))).toEqual(error('ERR dimension mismatch: expected 2, got 1'));
      expect(await send('VECTOR.SEARCH', 'l2', blob(Number.NaN, 1))).toEqual(error('ERR vector contains a non-finite value'));
      expect(await send('VECTOR.SEARCH', 'gone', blob(1, 1))).toEqual(error('ERR Unknown index: gone'));
      expect(await send('VECTOR.SEARCH', 'l2')).toEqual(error("ERR wrong number of arguments for 'vector.search' command"));
    });

    it('equals a brute-force reference for every metric, with and without a filter', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('COSINE', 'L2', 'IP'),
          fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 2 })), { minLength: 0, maxLength: 12 }),
          fc.tuple(fc.float({ min: -5, max: 5, noNaN: true }), fc.float({ min: -5, max: 5, noNaN: true })),
          fc.integer({ min: 1, max: 15 }),
          fc.boolean(),
          async (metric, points, [qx, qy], topK, filtered) => {
            await send('FLUSHALL');
            await send('VECTOR.INDEX.CREATE', 'p', 'DIM', '2', 'DISTANCE', metric);
            const q = new Float32Array([qx, qy]);
            const expected: Array<{ id: string; score: number; group: number; x: number; y: number }> = [];
            for (const [i, [x, y, group]] of points.entries()) {
              await send('VECTOR.ADD', 'p', `k${i}`, blob(x, y), 'group', String(group));
              const [fx, fy] = [q[0] as number, q[1] as number];
              const dot = fx * x + fy * y;
              const score =
                metric === 'L2'
                  ? Math.sqrt((fx - x) ** 2 + (fy - y) ** 2)
                  : metric === 'IP'
                    ? -dot
                    : fx * fx + fy * fy === 0 || x * x + y * y === 0
                      ? 1
                      : 1 - Math.min(1, Math.max(-1, dot / (Math.sqrt(fx * fx + fy * fy) * Math.sqrt(x * x + y * y))));
              expected.push({ id: `k${i}`, score, group, x, y });
            }
            const hits = expected
              .filter((hit) => !filtered || hit.group !== 1)
              .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1))
              .slice(0, topK)
              .flatMap((hit) => [hit.id, hit.score.toFixed(6).replace(/^-(0\.0+)$/, '$1'), ['group', String(hit.group)]]);
            const args = filtered ? ['FILTER', 'group != 1'] : [];
            expect(await send('VECTOR.SEARCH', 'p', blob(qx, qy), 'TOP_K', String(topK), ...args)).toEqual([hits.length / 3, ...hits]);
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  describe('VECTOR.DEL, VECTOR.INDEX.DROP, VECTOR.INDEX.LIST', () => {
    it('deletes keys, counting only those that existed', async () => {
      await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '1');
      await send('VECTOR.ADD', 'idx', 'a', blob(1));
      await send('VECTOR.ADD', 'idx', 'b', blob(2));
      expect(await send('VECTOR.DEL', 'idx', 'a', 'b', 'c', 'a')).toBe(2);
      expect(await send('VECTOR.SEARCH', 'idx', blob(1))).toEqual([0]);
      expect(await send('VECTOR.DEL', 'nope', 'a')).toEqual(error('ERR Unknown index: nope'));
      expect(await send('VECTOR.DEL', 'idx')).toEqual(error("ERR wrong number of arguments for 'vector.del' command"));
    });

    it('lists indexes bytewise and drops them', async () => {
      for (const name of ['beta', 'Alpha', 'alpha']) await send('VECTOR.INDEX.CREATE', name, 'DIM', '1');
      expect(await send('VECTOR.INDEX.LIST')).toEqual(['Alpha', 'alpha', 'beta']);
      expect(await send('VECTOR.INDEX.DROP', 'alpha')).toBe('+OK');
      expect(await send('VECTOR.INDEX.DROP', 'alpha')).toEqual(error('ERR Unknown index: alpha'));
      expect(await send('VECTOR.INDEX.INFO', 'alpha')).toEqual(error('ERR Unknown index: alpha'));
      expect(await send('VECTOR.INDEX.LIST')).toEqual(['Alpha', 'beta']);
      expect(await send('VECTOR.INDEX.LIST', 'x')).toEqual(error("ERR wrong number of arguments for 'vector.index.list' command"));
    });

    it('keeps indexes outside the key space, dropped by FLUSHDB and FLUSHALL', async () => {
      await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '1');
      await send('VECTOR.ADD', 'idx', 'a', blob(1));
      expect(await send('KEYS', '*')).toEqual([]);
      expect(await send('EXISTS', 'idx')).toBe(0);
      expect(await send('TYPE', 'idx')).toBe('+none');
      expect(await send('DEL', 'idx')).toBe(0);
      expect(await send('VECTOR.INDEX.LIST')).toEqual(['idx']);
      expect(await send('FLUSHDB')).toBe('+OK');
      expect(await send('VECTOR.INDEX.LIST')).toEqual([]);
      await send('SELECT', '1');
      await send('VECTOR.INDEX.CREATE', 'other', 'DIM', '1');
      await send('SELECT', '0');
      await send('FLUSHALL');
      await send('SELECT', '1');
      expect(await send('VECTOR.INDEX.LIST')).toEqual([]);
    });

    it('is described by COMMAND INFO with the index as first key', async () => {
      const [search, list] = (await send('COMMAND', 'INFO', 'VECTOR.SEARCH', 'VECTOR.INDEX.LIST')) as Plain[][];
      expect(search?.slice(0, 6)).toEqual(['vector.search', -3, expect.anything(), 1, 1, 1]);
      expect(list?.slice(0, 6)).toEqual(['vector.index.list', 1, expect.anything(), 0, 0, 0]);
    });

    it('keeps indexes per database', async () => {
      await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '1');
      await send('SELECT', '1');
      expect(await send('VECTOR.INDEX.LIST')).toEqual([]);
      expect(await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '2')).toBe('+OK');
      await send('SELECT', '0');
      expect(await send('VECTOR.INDEX.CREATE', 'idx', 'DIM', '1')).toEqual(error('ERR index already exists: idx'));
    });
  });
});

function chunks(items: unknown[]): Array<[unknown, unknown]> {
  const pairs: Array<[unknown, unknown]> = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
  return pairs;
}

describe('vectorCommands specs', () => {
  it('declare arity, flags and the index as the routing key', () => {
    const byName = new Map(vectorCommands.map((spec) => [spec.name, spec]));
    expect([...byName.keys()].sort()).toEqual(
      ['VECTOR.ADD', 'VECTOR.DEL', 'VECTOR.GET', 'VECTOR.INDEX.CREATE', 'VECTOR.INDEX.DROP', 'VECTOR.INDEX.INFO', 'VECTOR.INDEX.LIST', 'VECTOR.SEARCH'],
    );
    for (const spec of vectorCommands) {
      const keyed = spec.name !== 'VECTOR.INDEX.LIST';
      expect([spec.firstKey, spec.lastKey, spec.step]).toEqual(keyed ? [1, 1, 1] : [0, 0, 0]);
      expect(spec.flags.includes('write') !== spec.flags.includes('readonly')).toBe(true);
    }
    expect(byName.get('VECTOR.SEARCH')?.flags).toContain('readonly');
    expect(byName.get('VECTOR.ADD')?.flags).toContain('write');
  });
});
