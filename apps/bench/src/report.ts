/** Prints the results as a plain text table (readable in CI logs and terminals alike). */
import type { CaseResult } from './measure.js';

const MB = 1024 * 1024;

function formatCount(value: number | undefined): string {
  return value === undefined ? '—' : Math.round(value).toLocaleString('en-US');
}

function formatMs(value: number | undefined): string {
  if (value === undefined) return '—';
  return value < 1 ? `${(value * 1000).toFixed(0)} µs` : `${value.toFixed(2)} ms`;
}

function formatBytes(value: number | undefined): string {
  if (value === undefined) return '—';
  return `${value < 0 ? '-' : '+'}${(Math.abs(value) / MB).toFixed(1)} MB`;
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? 'info' : pass ? 'PASS' : 'FAIL';
}

const COLUMNS: ReadonlyArray<{ title: string; cell: (result: CaseResult) => string; right?: boolean }> = [
  { title: 'case', cell: (r) => r.name },
  { title: 'ops', cell: (r) => formatCount(r.ops), right: true },
  { title: 'ops/s', cell: (r) => formatCount(r.opsPerSecond), right: true },
  { title: 'p50', cell: (r) => formatMs(r.p50Ms), right: true },
  { title: 'p99', cell: (r) => formatMs(r.p99Ms), right: true },
  { title: 'heap Δ', cell: (r) => formatBytes(r.heapDeltaBytes), right: true },
  { title: 'goal', cell: (r) => r.goal },
  { title: 'result', cell: (r) => verdict(r.pass) },
];

export function formatTable(results: readonly CaseResult[]): string {
  const rows = results.map((result) => COLUMNS.map((column) => column.cell(result)));
  const widths = COLUMNS.map((column, i) => Math.max(column.title.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (COLUMNS[i]?.right ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ').trimEnd();
  const header = line(COLUMNS.map((column) => column.title));
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const notes = results.flatMap((result) => (result.note === undefined ? [] : [`note: ${result.note}`]));
  return [header, rule, ...rows.map(line), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
