import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespScanner, type SegmentKind, type StreamSide } from './resp-scanner.js';

interface Boundary {
  readonly end: number;
  readonly kind: SegmentKind;
}

/** Scans `chunks` as one stream; returns where each message ends (stream offsets) and what it was. */
function boundaries(side: StreamSide, chunks: readonly Uint8Array[]): Boundary[] {
  const scanner = new RespScanner(side);
  const found: Boundary[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const segments = scanner.scan(chunk);
    // Segments cover the chunk exactly, in order.
    expect(segments.map((s) => [s.start, s.end]).flat()).toEqual(
      segments.length === 0 ? [] : [0, ...segments.slice(1).flatMap((s) => [s.start, s.start]), chunk.length],
    );
    for (const s of segments) if (s.complete) found.push({ end: offset + s.end, kind: s.kind });
    offset += chunk.length;
  }
  return found;
}

function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    if (point > previous) chunks.push(bytes.subarray(previous, point));
    previous = Math.max(previous, point);
  }
  return chunks;
}

const text = fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', '*', '$', ' ', 'é'), maxLength: 12 });
const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '1', '*', '$'), maxLength: 8 });
const bulk = (type: string) => text.map((s) => `${type}${Buffer.byteLength(s)}\r\n${s}\r\n`);

const { value: respValue } = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    line.map((s) => `+${s}\r\n`),
    line.map((s) => `-ERR ${s}\r\n`),
    fc.integer().map((n) => `:${n}\r\n`),
    fc.constantFrom('_\r\n', '#t\r\n', ',1.5\r\n', '(123456789012345678901234567890\r\n', '$-1\r\n', '*-1\r\n'),
    bulk('$'),
    bulk('!'),
    text.map((s) => `=${Buffer.byteLength(s) + 4}\r\ntxt:${s}\r\n`),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `*${items.length}\r\n${items.join('')}`),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `~${items.length}\r\n${items.join('')}`),
    fc
      .array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 })
      .map((pairs) => `%${pairs.length}\r\n${pairs.flat().join('')}`),
    fc
      .tuple(fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }), tie('value'))
      .map(([pairs, value]) => `|${pairs.length}\r\n${pairs.flat().join('')}${value}`),
  ),
}));

const reply = fc.oneof(
  respValue.map((raw) => ({ raw, kind: 'message' as const })),
  fc.array(respValue, { minLength: 1, maxLength: 3 }).map((items) => ({ raw: `>${items.length}\r\n${items.join('')}`, kind: 'push' as const })),
);

const request = fc.oneof(
  fc
    .array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 4 })
    .map((args) => ({ raw: `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`, kind: 'message' as const })),
  fc.constantFrom('PING', 'GET k', '  INCR  n ').map((raw) => ({ raw: `${raw}\r\n`, kind: 'message' as const })),
  fc.constantFrom('\r\n', '\n', '  \r\n').map((raw) => ({ raw, kind: 'blank' as const })),
);

function expected(messages: ReadonlyArray<{ raw: string; kind: SegmentKind }>): Boundary[] {
  let end = 0;
  return messages.map(({ raw, kind }) => ({ end: (end += Buffer.byteLength(raw)), kind }));
}

describe('RespScanner', () => {
  it('finds every reply boundary however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (messages, cuts) => {
        const stream = Buffer.from(messages.map((m) => m.raw).join(''));
        expect(boundaries('reply', splitAt(stream, cuts))).toEqual(expected(messages));
      }),
    );
  });

  it('finds every reply boundary when fed one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 4 }), (messages) => {
        const stream = Buffer.from(messages.map((m) => m.raw).join(''));
        const bytes = [...stream].map((b) => Uint8Array.of(b));
        expect(boundaries('reply', bytes)).toEqual(expected(messages));
      }),
      { numRuns: 50 },
    );
  });

  it('finds every command boundary, RESP arrays and inline commands alike', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (messages, cuts) => {
        const stream = Buffer.from(messages.map((m) => m.raw).join(''));
        expect(boundaries('request', splitAt(stream, cuts))).toEqual(expected(messages));
      }),
    );
  });

  it('does not count an attribute as a reply of its own', () => {
    const stream = Buffer.from('|1\r\n+ttl\r\n:3\r\n$2\r\nhi\r\n');
    expect(boundaries('reply', [stream])).toEqual([{ end: stream.length, kind: 'message' }]);
  });

  it('reports bytes that are not RESP as unframed, and stays lost', () => {
    const scanner = new RespScanner('reply');
    expect(scanner.scan(Buffer.from('+OK\r\nhello'))).toEqual([
      { start: 0, end: 5, kind: 'message', complete: true },
      { start: 5, end: 10, kind: 'unframed', complete: false },
    ]);
    expect(scanner.lost).toBe(true);
    expect(scanner.scan(Buffer.from('+OK\r\n'))).toEqual([{ start: 0, end: 5, kind: 'unframed', complete: false }]);
  });

  it('treats a malformed length as not RESP', () => {
    const scanner = new RespScanner('reply');
    scanner.scan(Buffer.from('$abc\r\n'));
    expect(scanner.lost).toBe(true);
  });

  it('skips bulk payloads without reading them, even when they look like RESP', () => {
    const payload = '*3\r\n+a\r\n'.repeat(1000);
    const stream = Buffer.from(`$${payload.length}\r\n${payload}\r\n:1\r\n`);
    expect(boundaries('reply', splitAt(stream, [3, 100, 5000]))).toEqual([
      { end: stream.length - 4, kind: 'message' },
      { end: stream.length, kind: 'message' },
    ]);
  });
});
