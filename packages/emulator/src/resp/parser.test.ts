import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRespClient, encodeCommand, plain } from '../engine/testing/raw-client.js';
import { startEmulator } from '../server.js';
import type { RunningEmulator } from '../server.js';
import { ProtocolError, RequestParser } from './parser.js';

const argument = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));
const commandArb = fc.array(argument, { minLength: 1, maxLength: 5 });

/** Splits `bytes` at the given cut points (sorted, deduplicated, within range). */
function fragments(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    parts.push(bytes.subarray(start, point));
    start = point;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

describe('RequestParser', () => {
  it('reads pipelined commands the same however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (commands, cuts) => {
        const bytes = Buffer.concat(commands.map((command) => encodeCommand(command)));
        const parser = new RequestParser();
        const parsed = fragments(bytes, cuts).flatMap((part) => parser.feed(part));
        expect(parser.error).toBeUndefined();
        expect(parsed).toEqual(commands);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random or truncated input; a bad frame sets error and stops reading', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const parser = new RequestParser();
        for (const part of fragments(Buffer.from(bytes), cuts)) parser.feed(part);
        if (parser.error !== undefined) {
          expect(parser.error).toBeInstanceOf(ProtocolError);
          expect(parser.error.message).toMatch(/^Protocol error: /);
          expect(parser.feed(encodeCommand(['PING']))).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('joins a large argument that spans many chunks', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const bytes = encodeCommand(['SET', 'k', big]);
    const parser = new RequestParser();
    const parsed: Buffer[][] = [];
    for (let offset = 0; offset < bytes.length; offset += 65_536) parsed.push(...parser.feed(bytes.subarray(offset, offset + 65_536)));
    expect(parsed).toHaveLength(1);
    expect((parsed[0] as Buffer[])[2]?.equals(big)).toBe(true);
  });

  it('splits inline commands like redis-cli input', () => {
    const parser = new RequestParser();
    expect(parser.feed(Buffer.from('SET k "a\\x41\\n" \'it\\\'s\'\r\n\r\nPING\n'))).toEqual([
      [Buffer.from('SET'), Buffer.from('k'), Buffer.from('aA\n'), Buffer.from("it's")],
      [Buffer.from('PING')],
    ]);
  });
});

describe('garbage on one connection', () => {
  let server: RunningEmulator;
  beforeAll(async () => {
    server = await startEmulator();
  });
  afterAll(async () => {
    await server.close();
  });

  it('never crashes the server nor disturbs another client', async () => {
    const bystander = await RawRespClient.connect(server.port);
    await bystander.send('SELECT', '4');
    await bystander.send('SET', 'safe', 'value');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 }), async (bytes, cuts) => {
        const attacker = await RawRespClient.connect(server.port);
        attacker.nextReply().catch(() => {});
        for (const part of fragments(Buffer.from(bytes), cuts)) attacker.writeRaw(part);
        attacker.destroy();
        expect(plain(await bystander.send('GET', 'safe'))).toBe('value');
      }),
      { numRuns: 100 },
    );
    expect(plain(await bystander.send('PING'))).toBe('+PONG');
    await bystander.close();
  }, 60_000);
});
