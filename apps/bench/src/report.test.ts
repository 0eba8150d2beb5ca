import { describe, expect, it } from 'vitest';
import { formatTable } from './report.js';

describe('formatTable', () => {
  const table = formatTable([
    { name: 'fast thing', ops: 1_000, opsPerSecond: 12_345.6, p50Ms: 0.042, p99Ms: 2.5, goal: 'p99 ≤ 3 ms', pass: true },
    { name: 'slow thing', ops: 10, heapDeltaBytes: 3 * 1024 * 1024, goal: '≤ 1 MB', pass: false, note: 'slow thing: why' },
    { name: 'baseline', ops: 5, goal: 'baseline', pass: undefined },
  ]);
  const lines = table.split('\n');

  it('prints a header, a rule and a row per result with its verdict', () => {
    expect(lines[0]).toMatch(/^case\s+ops\s+ops\/s\s+p50\s+p99\s+heap Δ\s+goal\s+result$/);
    expect(lines[2]).toMatch(/^fast thing\s+1,000\s+12,346\s+42 µs\s+2\.50 ms\s+—\s+p99 ≤ 3 ms\s+PASS$/);
    expect(lines[3]).toMatch(/^slow thing\s+10\s+—\s+—\s+—\s+\+3\.0 MB\s+≤ 1 MB\s+FAIL$/);
    expect(lines[4]).toMatch(/baseline\s+info$/);
  });

  it('aligns every row to the header', () => {
    const resultColumn = (lines[0] as string).indexOf('result');
    for (const row of [lines[2], lines[3], lines[4]]) expect(row?.slice(resultColumn)).toMatch(/^(PASS|FAIL|info)$/);
  });

  it('lists notes after the table', () => {
    expect(lines.slice(-1)).toEqual(['note: slow thing: why']);
  });
});
