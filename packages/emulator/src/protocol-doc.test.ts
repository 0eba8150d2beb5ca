import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Emulator } from './engine/emulator.js';

/**
 * docs/protocol.md is the project's description of the wire contract; these checks keep it in
 * step with the command table of the emulator, its reference server.
 */
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const served = new Emulator().commands().map((spec) => spec.name.toUpperCase());
const EXTENSION = /\b(?:VECTOR|SEMANTIC|CRDT|CDC)\.[A-Z]+(?:\.[A-Z]+)*/g;

describe('docs/protocol.md', () => {
  it('names every command the emulator serves', () => {
    const documented = new Set([...doc.matchAll(/`([A-Z][A-Z.]*)\b/g)].map((m) => m[1]));
    expect(served.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('names no extension command the emulator does not serve', () => {
    const documented = new Set([...doc.matchAll(EXTENSION)].map((m) => m[0]));
    expect(documented.size).toBeGreaterThan(15);
    expect([...documented].filter((name) => !served.includes(name))).toEqual([]);
  });

  it('names every field CDC.INFO reports, and the error phrases of v1.2', async () => {
    const emulator = new Emulator();
    const reply = await emulator.execute(emulator.createSession(), [Buffer.from('CDC.INFO')]);
    const fields = reply.kind === 'map' ? reply.entries.map(([field]) => (field.kind === 'bulk' ? String(field.value) : '')) : [];
    expect(fields).toContain('log_id');
    expect(fields.filter((field) => !doc.includes(`\`${field}\``))).toEqual([]);
    for (const phrase of ['cdc log mismatch', 'cdc position lost']) expect(doc).toContain(`| \`${phrase}\` |`);
  });
});
