/**
 * Finds where RESP messages begin and end in a byte stream that arrives in arbitrary chunks,
 * without buffering it: the fault proxy forwards bytes as they come and only needs to know which
 * top-level message each byte belongs to.
 */

/**
 * - `message`: a command (request side) or a reply (reply side);
 * - `push`: a RESP3 out-of-band push (`>`), which answers no command;
 * - `blank`: an empty inline line, which servers ignore;
 * - `unframed`: bytes after the stream stopped looking like RESP.
 *
 * A segment of a message that is not yet complete is reported as `message` (or `push`); only a
 * complete inline line can turn out to be `blank`.
 */
export type SegmentKind = 'message' | 'push' | 'blank' | 'unframed';

/** A run of bytes of one chunk, `[start, end)`, belonging to one top-level message. */
export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly kind: SegmentKind;
  /** The message ends at `end`. */
  readonly complete: boolean;
}

/**
 * `request`: what clients send (RESP arrays or inline commands, as Redis reads them);
 * `reply`: what servers send (any RESP2/RESP3 value).
 */
export type StreamSide = 'request' | 'reply';

type Mode = 'type' | 'line' | 'header' | 'bulk' | 'inline' | 'lost';

interface OpenAggregate {
  remaining: number;
  /** An attribute (`|`) annotates the value after it and is not an element of its parent. */
  readonly attribute: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const LINE_TYPES = new Set([...'+-:_#,('].map((c) => c.charCodeAt(0)));
const BULK_TYPES = new Set([...'$!='].map((c) => c.charCodeAt(0)));
const AGGREGATE_TYPES = new Set([...'*~>%|'].map((c) => c.charCodeAt(0)));
const ARRAY = '*'.charCodeAt(0);
const PUSH = '>'.charCodeAt(0);
const MAP = '%'.charCodeAt(0);
const ATTRIBUTE = '|'.charCodeAt(0);
/** Lengths have at most 20 characters; anything longer is not RESP. */
const MAX_HEADER = 24;

export class RespScanner {
  private mode: Mode = 'type';
  private readonly open: OpenAggregate[] = [];
  private inMessage = false;
  private kind: SegmentKind = 'message';
  private headerType = 0;
  private header = '';
  private bulkRemaining = 0;
  private inlineHasText = false;

  constructor(private readonly side: StreamSide) {}

  /** True once the stream stopped looking like RESP; everything after that is `unframed`. */
  get lost(): boolean {
    return this.mode === 'lost';
  }

  /** Splits `chunk` into segments, in order, covering every byte. */
  scan(chunk: Uint8Array): Segment[] {
    const segments: Segment[] = [];
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.mode === 'lost') {
        segments.push({ start, end: chunk.length, kind: 'unframed', complete: false });
        return segments;
      }
      if (!this.inMessage) this.beginMessage(chunk[i]!);
      if (this.mode === 'bulk') {
        const take = Math.min(this.bulkRemaining, chunk.length - i);
        this.bulkRemaining -= take;
        i += take;
        if (this.bulkRemaining === 0) this.valueDone();
      } else {
        this.step(chunk[i]!);
        i++;
      }
      if (this.inMessage) continue;
      segments.push({ start, end: i, kind: this.kind, complete: true });
      start = i;
    }
    if (start < chunk.length) {
      segments.push({ start, end: chunk.length, kind: this.mode === 'lost' ? 'unframed' : this.kind, complete: false });
    }
    return segments;
  }

  private beginMessage(first: number): void {
    this.inMessage = true;
    this.kind = first === PUSH ? 'push' : 'message';
    if (this.side === 'request' && first !== ARRAY) {
      this.mode = 'inline';
      this.inlineHasText = false;
    }
  }

  private step(byte: number): void {
    switch (this.mode) {
      case 'type':
        return this.readType(byte);
      case 'line':
        if (byte === LF) this.valueDone();
        return;
      case 'header':
        if (byte === LF) return this.headerDone();
        if (byte !== CR) this.header += String.fromCharCode(byte);
        if (this.header.length > MAX_HEADER) this.mode = 'lost';
        return;
      case 'inline':
        if (byte === LF) {
          if (!this.inlineHasText) this.kind = 'blank';
          this.mode = 'type';
          this.inMessage = false;
        } else if (byte !== CR && byte !== 0x20 && byte !== 0x09) {
          this.inlineHasText = true;
        }
        return;
      default:
        return;
    }
  }

  private readType(byte: number): void {
    if (LINE_TYPES.has(byte)) {
      this.mode = 'line';
    } else if (BULK_TYPES.has(byte) || AGGREGATE_TYPES.has(byte)) {
      this.mode = 'header';
      this.headerType = byte;
      this.header = '';
    } else {
      this.mode = 'lost';
    }
  }

  private headerDone(): void {
    // RESP3 streamed strings and aggregates (`$?`, `*?`) are never sent by Redis; treat as not RESP.
    const count = /^-?\d+$/.test(this.header) ? Number(this.header) : Number.NaN;
    if (!Number.isSafeInteger(count)) {
      this.mode = 'lost';
      return;
    }
    if (BULK_TYPES.has(this.headerType)) {
      if (count < 0) return this.valueDone();
      this.mode = 'bulk';
      this.bulkRemaining = count + 2; // payload and its CRLF
      return;
    }
    const elements = this.headerType === MAP || this.headerType === ATTRIBUTE ? count * 2 : count;
    const attribute = this.headerType === ATTRIBUTE;
    if (elements <= 0) {
      this.mode = 'type';
      if (!attribute) this.valueDone();
      return;
    }
    this.open.push({ remaining: elements, attribute });
    this.mode = 'type';
  }

  /** One value is complete: close every aggregate it completes, and the message if it was top-level. */
  private valueDone(): void {
    this.mode = 'type';
    for (;;) {
      const parent = this.open.at(-1);
      if (!parent) {
        this.inMessage = false;
        return;
      }
      parent.remaining--;
      if (parent.remaining > 0) return;
      this.open.pop();
      if (parent.attribute) return;
    }
  }
}
