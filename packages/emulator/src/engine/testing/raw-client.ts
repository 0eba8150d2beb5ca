import { connect } from 'node:net';
import type { Socket } from 'node:net';

/**
 * A RESP2/RESP3 reply exactly as it came over the wire, type marker included, so tests can tell
 * a RESP3 map from a RESP2 flat array and `_` from `$-1`.
 */
export type RespValue =
  | { readonly type: 'simple'; readonly value: string }
  | { readonly type: 'error'; readonly value: string }
  | { readonly type: 'integer'; readonly value: bigint }
  /** `$-1` has value null. */
  | { readonly type: 'bulk'; readonly value: Buffer | null }
  /** `*-1` has items null. */
  | { readonly type: 'array'; readonly items: RespValue[] | null }
  | { readonly type: 'null' }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'bignum'; readonly value: bigint }
  | { readonly type: 'verbatim'; readonly format: string; readonly value: Buffer }
  | { readonly type: 'map'; readonly entries: Array<[RespValue, RespValue]> }
  | { readonly type: 'set'; readonly items: RespValue[] }
  | { readonly type: 'push'; readonly items: RespValue[] };

class Incomplete extends Error {}

/** Parses one value at `offset`; throws Incomplete when the buffer ends first. */
function parseValue(buffer: Buffer, offset: number): [RespValue, number] {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) throw new Incomplete();
  const marker = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  let next = lineEnd + 2;
  const aggregate = (count: number): [RespValue[], number] => {
    const items: RespValue[] = [];
    for (let i = 0; i < count; i++) {
      const [item, after] = parseValue(buffer, next);
      items.push(item);
      next = after;
    }
    return [items, next];
  };
  const blob = (length: number): Buffer => {
    if (buffer.length < next + length + 2) throw new Incomplete();
    const value = Buffer.from(buffer.subarray(next, next + length));
    next += length + 2;
    return value;
  };
  switch (marker) {
    case '+':
      return [{ type: 'simple', value: line }, next];
    case '-':
      return [{ type: 'error', value: line }, next];
    case ':':
      return [{ type: 'integer', value: BigInt(line) }, next];
    case '(':
      return [{ type: 'bignum', value: BigInt(line) }, next];
    case ',':
      return [{ type: 'double', value: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line) }, next];
    case '#':
      return [{ type: 'boolean', value: line === 't' }, next];
    case '_':
      return [{ type: 'null' }, next];
    case '$':
    case '!': {
      const length = Number(line);
      if (length === -1) return [{ type: 'bulk', value: null }, next];
      const value = blob(length);
      return [marker === '$' ? { type: 'bulk', value } : { type: 'error', value: value.toString('utf8') }, next];
    }
    case '=': {
      const value = blob(Number(line));
      return [{ type: 'verbatim', format: value.toString('utf8', 0, 3), value: value.subarray(4) }, next];
    }
    case '*': {
      const count = Number(line);
      if (count === -1) return [{ type: 'array', items: null }, next];
      const [items, after] = aggregate(count);
      return [{ type: 'array', items }, after];
    }
    case '~':
    case '>': {
      const [items, after] = aggregate(Number(line));
      return [marker === '~' ? { type: 'set', items } : { type: 'push', items }, after];
    }
    case '%': {
      const [items, after] = aggregate(Number(line) * 2);
      const entries: Array<[RespValue, RespValue]> = [];
      for (let i = 0; i < items.length; i += 2) entries.push([items[i] as RespValue, items[i + 1] as RespValue]);
      return [{ type: 'map', entries }, after];
    }
    default:
      throw new Error(`unexpected RESP type marker ${JSON.stringify(marker)}`);
  }
}

export type RespArgument = string | Buffer | number | bigint;

/** Encodes a command as a RESP array of bulk strings, the way every client sends one. */
export function encodeCommand(args: readonly RespArgument[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * A minimal RESP client over a real socket for tests: commands are written raw and replies come
 * back undecoded ({@link RespValue}), in order. No reconnection, no pipelining logic beyond FIFO.
 */
export class RawRespClient {
  private pending: Buffer = Buffer.alloc(0);
  /** Where the completeness scan of the reply at the head of `pending` stopped, and how many values it still needs. */
  private scanPosition = 0;
  private scanRemaining = 1;
  private readonly waiting: Array<{ resolve: (value: RespValue) => void; reject: (error: Error) => void }> = [];
  private failure: Error | undefined;
  /** Resolves when the server or the client closes the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.failAll(new Error('connection closed'));
        resolve();
      });
    });
    socket.on('error', (error) => this.failAll(error));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawRespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawRespClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends one command; resolves with its reply (error replies resolve too, as `type: 'error'`). */
  send(...args: RespArgument[]): Promise<RespValue> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Writes bytes as they are (for malformed or split input). */
  writeRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Waits for the next reply without sending anything (after {@link writeRaw}). */
  nextReply(): Promise<RespValue> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
  }

  /** Closes at once, without a FIN handshake, as a crashed client would. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      // Scan headers until the head reply is complete (resuming where the last chunk ended), so
      // a large reply arriving in many chunks is parsed once, not once per chunk.
      if (!this.scanComplete()) return;
      let parsed: [RespValue, number];
      try {
        parsed = parseValue(this.pending, 0);
      } catch (error) {
        this.failAll(error instanceof Incomplete ? new Error('malformed reply') : (error as Error));
        this.socket.destroy();
        return;
      }
      this.pending = this.pending.subarray(parsed[1]);
      this.scanPosition = 0;
      this.scanRemaining = 1;
      const waiter = this.waiting.shift();
      if (waiter === undefined) {
        this.failAll(new Error('reply without a command'));
        return;
      }
      waiter.resolve(parsed[0]);
      if (this.pending.length === 0) return;
    }
  }

  private scanComplete(): boolean {
    const buffer = this.pending;
    while (this.scanRemaining > 0) {
      const position = this.scanPosition;
      const lineEnd = buffer.indexOf('\r\n', position);
      if (lineEnd === -1) return false;
      const marker = buffer[position];
      const header = Number(buffer.toString('latin1', position + 1, lineEnd));
      let next = lineEnd + 2;
      let children = 0;
      if (marker === 0x24 /* $ */ || marker === 0x21 /* ! */ || marker === 0x3d /* = */) {
        if (header >= 0) {
          if (buffer.length < next + header + 2) return false;
          next += header + 2;
        }
      } else if (marker === 0x2a /* * */ || marker === 0x7e /* ~ */ || marker === 0x3e /* > */) {
        children = Math.max(header, 0);
      } else if (marker === 0x25 /* % */) {
        children = header * 2;
      }
      this.scanPosition = next;
      this.scanRemaining += children - 1;
    }
    return true;
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

/** A JavaScript view of a reply for `toEqual` assertions; see the mapping per type. */
export type Plain = string | number | bigint | boolean | null | { readonly error: string } | Plain[] | Map<Plain, Plain> | Set<Plain>;

/**
 * simple → `+text`, bulk → UTF-8 string, `$-1`/`*-1`/`_` → null, integer → number (bigint past
 * 2^53), error → `{ error }`, array → array, map → Map, set → Set, double → number.
 */
export function plain(value: RespValue): Plain {
  switch (value.type) {
    case 'simple':
      return `+${value.value}`;
    case 'error':
      return { error: value.value };
    case 'integer':
    case 'bignum':
      return Number.isSafeInteger(Number(value.value)) ? Number(value.value) : value.value;
    case 'bulk':
      return value.value === null ? null : value.value.toString('utf8');
    case 'verbatim':
      return value.value.toString('utf8');
    case 'array':
      return value.items === null ? null : value.items.map(plain);
    case 'null':
      return null;
    case 'double':
    case 'boolean':
      return value.value;
    case 'map':
      return new Map(value.entries.map(([k, v]) => [plain(k), plain(v)]));
    case 'set':
      return new Set(value.items.map(plain));
    case 'push':
      return value.items.map(plain);
  }
}
