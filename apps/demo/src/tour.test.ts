import { describe, expect, it } from 'vitest';
import { tour } from './tour.js';

describe.each(['ioredis', 'node-redis', 'valkey-glide'] as const)('the demo tour on %s', (driver) => {
  it('runs against an emulator and shows each feature working', async () => {
    const lines: string[] = [];
    await tour({ driver, log: (line) => lines.push(line) });
    const output = lines.join('\n');
    expect(output).toContain(`driver ${driver}`);
    expect(output).toContain('HGET user:42 name → Bob');
    expect(output).toContain('indexed 5 products');
    // The nearest product to "shoes for running" is a running shoe, and the filter keeps only cheap footwear.
    const ranked = lines.slice(lines.findIndex((l) => l.includes('indexed 5 products')) + 1);
    expect(ranked[0]).toMatch(/running shoes/);
    const filtered = lines.slice(lines.findIndex((l) => l.includes('footwear under 100')) + 1, lines.findIndex((l) => l.includes('Semantic cache')));
    const shown = filtered.filter((l) => l.trim());
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((l) => /\((89|15)\)$/.test(l))).toBe(true);
    // The paraphrase is served from the cache: one hit, two computations.
    expect(output).toContain('hits 1, misses 2, computations saved 1');
    // Twenty increments from two clients all count; the shared op-id counts once.
    const views = /10 views from each client: (-?\d+) → (-?\d+)/.exec(output);
    expect(views).not.toBeNull();
    expect(Number(views?.[2]) - Number(views?.[1])).toBe(20);
    expect(output).toContain(`one visit sent by both clients with the same op-id: ${Number(views?.[2]) + 1}`);
    expect(output).toContain('tags: fast, typed (has "fast": true)');
    // The feed shows the cart's four writes live, in order, with the values of string writes.
    const feed = lines.filter((l) => / demo:cart:7/.test(l)).map((l) => l.replace(/#\d+ /, '').trim());
    expect(feed).toEqual(['SET    demo:cart:7 = socks', 'APPEND demo:cart:7 = socks,shoes', 'EXPIRE demo:cart:7', 'DEL    demo:cart:7']);
    expect(output).toMatch(/checkpoint cdc2\.\S+: subscribe with/);
  }, 30_000);
});
