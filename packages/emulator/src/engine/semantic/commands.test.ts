import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../testing/emulator-connection.js';
import type { TestConnection, TestEmulator } from '../testing/emulator-connection.js';
import { plain } from '../testing/raw-client.js';
import type { RespArgument } from '../testing/raw-client.js';
import { semanticCommands } from './commands.js';
import { defaultEmbedder } from './embedder.js';
import { cosineSimilarity } from './similarity.js';

const clock = { now: 1_700_000_000_000 };
const error = (message: string) => ({ error: message });

describe.each([2, 3] as const)('SEMANTIC.* over RESP%i', (protocol) => {
  let emulator: TestEmulator;
  let connection: TestConnection;
  const send = async (...args: RespArgument[]) => plain(await connection.send(...args));

  beforeEach(async () => {
    clock.now = 1_700_000_000_000;
    emulator = await startTestEmulator(protocol, { clock: () => clock.now });
    connection = await emulator.connect();
  });
  afterEach(async () => {
    await emulator.close();
  });

  it('hits identical normalised text with similarity 1.000000', async () => {
    expect(await send('SEMANTIC.SET', 'faq', 'What is the capital of France?', 'Paris')).toBe('+OK');
    expect(await send('SEMANTIC.GET', 'faq', 'what is the CAPITAL of france')).toBe('Paris');
    expect(await send('SEMANTIC.GET', 'faq', 'What is the capital of France', 'THRESHOLD', '1', 'WITHSCORE')).toEqual(['Paris', '1.000000']);
    expect(await send('SEMANTIC.GET', 'faq', 'How do I bake bread?')).toBeNull();
    expect(await send('SEMANTIC.GET', 'faq', 'How do I bake bread?', 'WITHSCORE')).toBeNull();
  });

  it('replies null as `$-1` in RESP2 and `_` in RESP3', async () => {
    expect(await connection.send('SEMANTIC.GET', 'faq', 'anything')).toEqual(protocol === 3 ? { type: 'null' } : { type: 'bulk', value: null });
  });

  it('treats the threshold as inclusive and a threshold of 0 as any live entry', async () => {
    const stored = 'the quick brown fox';
    const query = 'the quick brown dog';
    const similarity = cosineSimilarity(defaultEmbedder(stored), defaultEmbedder(query));
    expect(similarity).toBeGreaterThan(0);
    expect(similarity).toBeLessThan(1);
    await send('SEMANTIC.SET', 'ns', stored, 'fox');
    const score = similarity.toFixed(6);
    expect(await send('SEMANTIC.GET', 'ns', query, 'THRESHOLD', String(similarity), 'WITHSCORE')).toEqual(['fox', score]);
    expect(await send('SEMANTIC.GET', 'ns', query, 'THRESHOLD', String(similarity + 1e-9))).toBeNull();
    expect(await send('SEMANTIC.GET', 'ns', 'completely unrelated words', 'THRESHOLD', '0')).toBe('fox');
  });

  it('returns the most similar entry, ties to the most recently set', async () => {
    await send('SEMANTIC.SET', 'ns', 'red apples are sweet', 'apples');
    await send('SEMANTIC.SET', 'ns', 'green pears are juicy', 'pears');
    expect(await send('SEMANTIC.GET', 'ns', 'green pears are juicy fruit', 'THRESHOLD', '0')).toBe('pears');
    await send('SEMANTIC.SET', 'ns', 'Red apples are sweet!', 'apples-2');
    expect(await send('SEMANTIC.GET', 'ns', 'red apples are sweet', 'THRESHOLD', '1')).toBe('apples-2');
  });

  it('replaces the entry for the same exact text, expiry included', async () => {
    await send('SEMANTIC.SET', 'ns', 'hello', 'one', 'EX', '10');
    await send('SEMANTIC.SET', 'ns', 'hello', 'two');
    clock.now += 60_000;
    expect(await send('SEMANTIC.GET', 'ns', 'hello')).toBe('two');
    expect(await send('SEMANTIC.STATS', 'ns')).toEqual(stats(1, 1, 0));
  });

  it('expires entries by the injectable clock', async () => {
    await send('SEMANTIC.SET', 'ns', 'hello', 'world', 'ex', '2');
    clock.now += 1999;
    expect(await send('SEMANTIC.GET', 'ns', 'hello')).toBe('world');
    clock.now += 1;
    expect(await send('SEMANTIC.GET', 'ns', 'hello')).toBeNull();
    expect(await send('SEMANTIC.STATS', 'ns')).toEqual(stats(0, 1, 1));
  });

  it('applies the default TTL when configured', async () => {
    const withTtl = await startTestEmulator(protocol, { clock: () => clock.now, semanticTtl: 5 });
    const other = await withTtl.connect();
    await other.send('SEMANTIC.SET', 'ns', 'hello', 'world');
    await other.send('SEMANTIC.SET', 'ns', 'bye', 'world', 'EX', '100');
    clock.now += 5000;
    expect(plain(await other.send('SEMANTIC.GET', 'ns', 'hello', 'THRESHOLD', '1'))).toBeNull();
    expect(plain(await other.send('SEMANTIC.GET', 'ns', 'bye', 'THRESHOLD', '1'))).toBe('world');
    await withTtl.close();
  });

  it('counts hits and misses in SEMANTIC.STATS, reset by deleting the namespace', async () => {
    expect(await send('SEMANTIC.STATS', 'ns')).toEqual(stats(0, 0, 0));
    await send('SEMANTIC.SET', 'ns', 'a b c', '1');
    await send('SEMANTIC.SET', 'ns', 'd e f', '2');
    await send('SEMANTIC.GET', 'ns', 'a b c');
    await send('SEMANTIC.GET', 'ns', 'a b c');
    await send('SEMANTIC.GET', 'ns', 'x y z');
    const reply = await connection.send('SEMANTIC.STATS', 'ns');
    expect(reply.type).toBe(protocol === 3 ? 'map' : 'array');
    expect(plain(reply)).toEqual(stats(2, 2, 1));
    expect(await send('SEMANTIC.STATS', 'other')).toEqual(stats(0, 0, 0));
    expect(await send('SEMANTIC.DEL', 'ns', 'a b c')).toBe(1);
    expect(await send('SEMANTIC.DEL', 'ns', 'a b c')).toBe(0);
    expect(await send('SEMANTIC.STATS', 'ns')).toEqual(stats(1, 2, 1));
    expect(await send('SEMANTIC.DEL', 'ns')).toBe(1);
    expect(await send('SEMANTIC.STATS', 'ns')).toEqual(stats(0, 0, 0));
    expect(await send('SEMANTIC.DEL', 'ns')).toBe(0);
  });

  it('drops namespaces, counters included, on FLUSHDB', async () => {
    await send('SEMANTIC.SET', 'ns', 'hello', 'world');
    await send('SEMANTIC.GET', 'ns', 'hello');
    expect(await send('KEYS', '*')).toEqual([]);
    await send('FLUSHDB');
    expect(await send('SEMANTIC.STATS', 'ns')).toEqual(stats(0, 0, 0));
    expect(await send('SEMANTIC.GET', 'ns', 'hello')).toBeNull();
  });

  it('keeps namespaces and databases apart', async () => {
    await send('SEMANTIC.SET', 'a', 'hello', 'from-a');
    expect(await send('SEMANTIC.GET', 'b', 'hello')).toBeNull();
    await send('SELECT', '1');
    expect(await send('SEMANTIC.GET', 'a', 'hello')).toBeNull();
    await send('SELECT', '0');
    expect(await send('SEMANTIC.GET', 'a', 'hello')).toBe('from-a');
  });

  it.each([
    [['SEMANTIC.SET', 'ns', 't', 'v', 'EX', '0'], "ERR invalid expire time in 'semantic.set' command"],
    [['SEMANTIC.SET', 'ns', 't', 'v', 'EX', '-5'], "ERR invalid expire time in 'semantic.set' command"],
    [['SEMANTIC.SET', 'ns', 't', 'v', 'EX', '1.5'], "ERR invalid expire time in 'semantic.set' command"],
    [['SEMANTIC.SET', 'ns', 't', 'v', 'EX'], 'ERR syntax error'],
    [['SEMANTIC.SET', 'ns', 't', 'v', 'PX', '5'], 'ERR syntax error'],
    [['SEMANTIC.SET', 'ns', 't'], "ERR wrong number of arguments for 'semantic.set' command"],
    [['SEMANTIC.GET', 'ns', 't', 'THRESHOLD', '1.5'], 'ERR invalid threshold: 1.5 (must be 0.0 to 1.0)'],
    [['SEMANTIC.GET', 'ns', 't', 'THRESHOLD', '-0.1'], 'ERR invalid threshold: -0.1 (must be 0.0 to 1.0)'],
    [['SEMANTIC.GET', 'ns', 't', 'THRESHOLD', 'high'], 'ERR value is not a valid float'],
    [['SEMANTIC.GET', 'ns', 't', 'THRESHOLD'], 'ERR syntax error'],
    [['SEMANTIC.GET', 'ns', 't', 'LIMIT', '1'], 'ERR syntax error'],
    [['SEMANTIC.GET', 'ns'], "ERR wrong number of arguments for 'semantic.get' command"],
    [['SEMANTIC.DEL', 'ns', 't', 'extra'], "ERR wrong number of arguments for 'semantic.del' command"],
    [['SEMANTIC.DEL'], "ERR wrong number of arguments for 'semantic.del' command"],
    [['SEMANTIC.STATS'], "ERR wrong number of arguments for 'semantic.stats' command"],
  ])('rejects %j', async (command, message) => {
    expect(await send(...command)).toEqual(error(message));
  });

  function stats(entries: number, hits: number, misses: number) {
    const pairs: Array<[string, number]> = [
      ['entries', entries],
      ['hits', hits],
      ['misses', misses],
    ];
    return protocol === 3 ? new Map(pairs) : pairs.flat();
  }
});

describe('semanticCommands specs', () => {
  it('route by the namespace', () => {
    expect(semanticCommands.map((spec) => spec.name).sort()).toEqual(['SEMANTIC.DEL', 'SEMANTIC.GET', 'SEMANTIC.SET', 'SEMANTIC.STATS']);
    for (const spec of semanticCommands) expect([spec.firstKey, spec.lastKey, spec.step]).toEqual([1, 1, 1]);
  });
});
