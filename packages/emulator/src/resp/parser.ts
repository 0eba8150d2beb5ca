/** A request frame the server cannot read; the connection gets `-ERR Protocol error: …` and closes. */
export class ProtocolError extends Error {
  constructor(detail: string) {
    super(`Protocol error: ${detail}`);
    this.name = 'ProtocolError';
  }
}

const MAX_INLINE = 64 * 1024;
const MAX_MULTIBULK = 1024 * 1024;
const MAX_BULK = 512 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;

/** Redis' `sdssplitargs`: spaces separate, "double" quotes take escapes, 'single' quotes take \' only. */
function splitInline(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
  for (;;) {
    while (i < line.length && isSpace(line[i])) i++;
    if (i >= line.length) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = line[i];
      if (inDouble) {
        if (c === undefined) throw new ProtocolError('unbalanced quotes in request');
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && line[i + 1] !== undefined) {
          i++;
          const escaped = line[i] as string;
          current += ({ n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' } as Record<string, string>)[escaped] ?? escaped;
        } else if (c === '"') {
          if (line[i + 1] !== undefined && !isSpace(line[i + 1])) throw new ProtocolError('unbalanced quotes in request');
          inDouble = false;
          i++;
          break;
        } else current += c;
      } else if (inSingle) {
        if (c === undefined) throw new ProtocolError('unbalanced quotes in request');
        if (c === '\\' && line[i + 1] === "'") {
          current += "'";
          i++;
        } else if (c === "'") {
          if (line[i + 1] !== undefined && !isSpace(line[i + 1])) throw new ProtocolError('unbalanced quotes in request');
          inSingle = false;
          i++;
          break;
        } else current += c;
      } else {
        if (c === undefined || isSpace(c)) break;
        if (c === '"') inDouble = true;
        else if (c === "'") inSingle = true;
        else current += c;
      }
      i++;
    }
    args.push(current);
  }
}

function parseLength(buffer: Buffer, start: number, end: number): number | undefined {
  const text = buffer.toString('latin1', start, end);
  if (!/^-?\d{1,19}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Incremental request parser: RESP arrays of bulk strings and inline commands, fed chunk by chunk
 * as they come off the socket (split anywhere, pipelined). A large bulk argument is copied once
 * into a buffer of its final size, so big values cost linear time.
 */
export class RequestParser {
  private pending: Buffer = EMPTY;
  private offset = 0;
  /** The array being read: its arguments so far and how many are still to come. */
  private args: Buffer[] | undefined;
  private remaining = 0;
  /**
   * A bulk argument longer than what was buffered: its chunks are kept as they come and joined
   * once complete (one copy, and no allocation up front for a length a client merely announced).
   */
  private bulk: { readonly chunks: Buffer[]; received: number; readonly needed: number } | undefined;

  /** Bytes of the arguments read so far of the command still incomplete. */
  private argBytes = 0;

  /** Set once a bad frame was read; the parser reads nothing more after it. */
  error: ProtocolError | undefined;

  /**
   * Bytes held for the command not yet complete (what Redis' `client-query-buffer-limit` bounds):
   * the unread input, a large argument still arriving and the arguments already read.
   */
  get buffered(): number {
    return this.pending.length - this.offset + (this.bulk?.received ?? 0) + this.argBytes;
  }

  /**
   * Returns every command completed by `chunk`. After a bad frame, returns the commands read
   * before it and sets {@link error}.
   */
  feed(chunk: Buffer): Buffer[][] {
    const commands: Buffer[][] = [];
    if (this.error !== undefined) return commands;
    try {
      this.consume(chunk, commands);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.error = error;
      this.pending = EMPTY;
      this.offset = 0;
    }
    return commands;
  }

  private consume(chunk: Buffer, commands: Buffer[][]): void {
    let input = chunk;
    if (this.bulk !== undefined) {
      const bulk = this.bulk;
      const take = Math.min(bulk.needed - bulk.received, input.length);
      bulk.chunks.push(input.subarray(0, take));
      bulk.received += take;
      input = input.subarray(take);
      if (bulk.received < bulk.needed) return;
      this.bulk = undefined;
      const whole = Buffer.concat(bulk.chunks, bulk.needed);
      this.pushArg(whole.subarray(0, whole.length - 2), commands);
    }
    this.pending = this.offset < this.pending.length ? Buffer.concat([this.pending.subarray(this.offset), input]) : input;
    this.offset = 0;
    while (this.offset < this.pending.length && this.bulk === undefined) {
      if (!this.step(commands)) break;
    }
    if (this.offset >= this.pending.length) {
      this.pending = EMPTY;
      this.offset = 0;
    }
  }

  /** Parses one element at `offset`; false when more input is needed. */
  private step(commands: Buffer[][]): boolean {
    const buffer = this.pending;
    const start = this.offset;
    if (this.args === undefined) {
      if (buffer[start] !== 0x2a /* * */) return this.inline(commands);
      const lineEnd = buffer.indexOf(CR, start);
      if (lineEnd === -1 || lineEnd + 1 >= buffer.length) {
        if (buffer.length - start > MAX_INLINE) throw new ProtocolError('too big mbulk count string');
        return false;
      }
      const count = parseLength(buffer, start + 1, lineEnd);
      if (count === undefined || count > MAX_MULTIBULK) throw new ProtocolError('invalid multibulk length');
      this.offset = lineEnd + 2;
      if (count > 0) {
        this.args = [];
        this.remaining = count;
      }
      return true;
    }
    if (buffer[start] !== 0x24 /* $ */) {
      throw new ProtocolError(`expected '$', got '${String.fromCharCode(buffer[start] as number)}'`);
    }
    const lineEnd = buffer.indexOf(CR, start);
    if (lineEnd === -1 || lineEnd + 1 >= buffer.length) {
      if (buffer.length - start > MAX_INLINE) throw new ProtocolError('too big bulk count string');
      return false;
    }
    const length = parseLength(buffer, start + 1, lineEnd);
    if (length === undefined || length < 0 || length > MAX_BULK) throw new ProtocolError('invalid bulk length');
    const dataStart = lineEnd + 2;
    const available = buffer.length - dataStart;
    if (available >= length + 2) {
      this.offset = dataStart + length + 2;
      this.pushArg(buffer.subarray(dataStart, dataStart + length), commands);
      return true;
    }
    this.bulk = { chunks: [buffer.subarray(dataStart)], received: available, needed: length + 2 };
    this.offset = buffer.length;
    return false;
  }

  private inline(commands: Buffer[][]): boolean {
    const buffer = this.pending;
    const newline = buffer.indexOf(LF, this.offset);
    if (newline === -1) {
      if (buffer.length - this.offset > MAX_INLINE) throw new ProtocolError('too big inline request');
      return false;
    }
    let end = newline;
    if (end > this.offset && buffer[end - 1] === CR) end--;
    const line = buffer.toString('latin1', this.offset, end);
    this.offset = newline + 1;
    const args = splitInline(line);
    if (args.length > 0) commands.push(args.map((arg) => Buffer.from(arg, 'latin1')));
    return true;
  }

  private pushArg(arg: Buffer, commands: Buffer[][]): void {
    const args = this.args as Buffer[];
    args.push(arg);
    this.argBytes += arg.length;
    if (--this.remaining === 0) {
      commands.push(args);
      this.args = undefined;
      this.argBytes = 0;
    }
  }
}
