/**
 * The Python thin client (`shared/seed/python-thin-client.md`, the `FerriteClient` wrapper over
 * redis-py), ported to TypeScript so the interop tests can speak to the server exactly as it does
 * without Python. Methods keep the seed's names so each test reads like the Python it stands for.
 *
 * What "exactly" means here:
 * - Arguments are encoded as redis-py's `Encoder` does: `bytes` as they are, `str` as UTF-8,
 *   `int` as `str(n)`, `float` as `repr(x)` (`0.85`, `1.0`, `1e-07`).
 * - Vector blobs are `struct.pack(f"{len(v)}f", *v)`: native byte order and size, which is
 *   little-endian float32 on every host the seed's users run (x86-64, arm64). The port writes
 *   little-endian explicitly, byte by byte, independently of the SDK's encoder.
 * - Replies are read as redis-py hands them over with `decode_responses=True`: bulk strings as
 *   UTF-8 text, integers as integers, arrays as lists, nil as None. `ferrite.send` gives exactly
 *   those shapes (text, number or bigint, arrays, null), so the seed's readers are ported over it.
 */
import type { Reply } from '@ferrite/core';

/** A redis-py argument as the seed passes it. */
export type PyArg = string | number | bigint | Buffer;

/** `execute_command`: sends one command, resolves to the reply (text replies, as `decode_responses=True`). */
export type Execute = (name: string, ...args: (string | Buffer)[]) => Promise<Reply>;

/** `repr(x)` of a Python float: the shortest round-trip digits, fixed for 1e-4 ≤ |x| < 1e16, else exponent with two digits at least. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${body}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole.slice(0, exponent + 1)}.${fraction === '' ? '0' : fraction}`;
}

/** redis-py's `Encoder.encode`: how each argument goes on the wire. `Number.isInteger` stands for Python's `int`. */
export function redisPyArg(value: PyArg, pythonType: 'int' | 'float' = Number.isInteger(value) ? 'int' : 'float'): string | Buffer {
  if (typeof value === 'bigint') return value.toString(); // a Python int of any size
  if (typeof value !== 'number') return value;
  return pythonType === 'int' ? value.toFixed(0) : pythonFloatRepr(value);
}

/** `struct.pack(f"{len(vector)}f", *vector)` on a little-endian host. */
export function structPackFloats(vector: readonly number[]): Buffer {
  const blob = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) blob.writeFloatLE(vector[i] as number, i * 4);
  return blob;
}

/** `struct.unpack(f"{len(blob)//4}f", blob)`, for checking what another client stored. */
export function structUnpackFloats(blob: Buffer): number[] {
  const values: number[] = [];
  for (let offset = 0; offset + 4 <= blob.length; offset += 4) values.push(blob.readFloatLE(offset));
  return values;
}

/** The seed's `VectorSearchResult`. */
export class VectorSearchResult {
  constructor(
    readonly id: string,
    readonly score: number,
    readonly metadata: Record<string, string> = {},
  ) {}
}

/** Python's `str()` of what redis-py returns with `decode_responses=True`. */
function pyStr(value: Reply | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value) || value instanceof Map) throw new Error('the seed would str() a list here');
  return String(value);
}

/** Python's `float()` of a reply element: raises on anything that is not a number's text. */
function pyFloat(value: Reply | undefined): number {
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '' || Number.isNaN(Number(text))) throw new Error(`float() of ${pyStr(value)} raises ValueError`);
  return Number(text);
}

const isPyInt = (value: Reply | undefined) => typeof value === 'number' || typeof value === 'bigint';

/**
 * `FerriteClient._parse_vector_results`, line for line:
 *
 * ```python
 * if not raw: return []
 * i = 1 if isinstance(raw[0], int) else 0
 * while i < len(raw) - 1:
 *     doc_id = raw[i] if isinstance(raw[i], str) else str(raw[i])
 *     score = float(raw[i + 1]); metadata = {}; i += 2
 *     if i < len(raw) and isinstance(raw[i], list):
 *         pairs = raw[i]
 *         for j in range(0, len(pairs) - 1, 2): metadata[str(pairs[j])] = str(pairs[j + 1])
 *         i += 1
 *     results.append(VectorSearchResult(doc_id, score, metadata))
 * ```
 */
export function parseVectorResults(raw: Reply): VectorSearchResult[] {
  if (raw === null || (Array.isArray(raw) && raw.length === 0)) return [];
  const results: VectorSearchResult[] = [];
  if (Array.isArray(raw) && raw.length > 0) {
    let i = isPyInt(raw[0]) ? 1 : 0;
    while (i < raw.length - 1) {
      const docId = pyStr(raw[i]);
      const score = pyFloat(raw[i + 1]);
      const metadata: Record<string, string> = {};
      i += 2;
      const next = raw[i];
      if (i < raw.length && Array.isArray(next)) {
        for (let j = 0; j < next.length - 1; j += 2) metadata[pyStr(next[j])] = pyStr(next[j + 1]);
        i += 1;
      }
      results.push(new VectorSearchResult(docId, score, metadata));
    }
  }
  return results;
}

/**
 * The seed's `FerriteClient` methods over `execute`. Every command it sends is recorded in
 * `sent` (as the wire arguments, numbers already encoded), so tests can check the shapes.
 */
export class SeedClient {
  readonly sent: (string | Buffer)[][] = [];

  constructor(private readonly execute: Execute) {}

  private command(...args: PyArg[]): Promise<Reply> {
    const wire = args.map((arg) => redisPyArg(arg));
    this.sent.push(wire);
    const [name, ...rest] = wire;
    return this.execute(name as string, ...rest);
  }

  /** The last command sent, with blobs shown as `<blob n bytes>`, for readable assertions. */
  get lastSent(): string[] {
    return (this.sent.at(-1) ?? []).map((arg) => (typeof arg === 'string' ? arg : `<blob ${arg.length} bytes>`));
  }

  vector_create(index: string, dim: number, distance = 'COSINE', index_type = 'HNSW', kwargs: Record<string, PyArg> = {}): Promise<Reply> {
    const args: PyArg[] = ['VECTOR.INDEX.CREATE', index, 'DIM', dim, 'DISTANCE', distance, 'TYPE', index_type];
    for (const [k, v] of Object.entries(kwargs)) args.push(k.toUpperCase(), v);
    return this.command(...args);
  }

  vector_add(index: string, key: string, vector: readonly number[], metadata?: Record<string, PyArg>): Promise<Reply> {
    const args: PyArg[] = ['VECTOR.ADD', index, key, structPackFloats(vector)];
    // `if metadata:` — an empty dict sends no pairs.
    if (metadata) for (const [k, v] of Object.entries(metadata)) args.push(k, v);
    return this.command(...args);
  }

  async vector_search(index: string, vector: readonly number[], top_k = 10, filter_expr?: string): Promise<VectorSearchResult[]> {
    const args: PyArg[] = ['VECTOR.SEARCH', index, structPackFloats(vector), 'TOP_K', top_k];
    if (filter_expr) args.push('FILTER', filter_expr);
    return parseVectorResults(await this.command(...args));
  }

  vector_delete(index: string, key: string): Promise<Reply> {
    return this.command('VECTOR.DEL', index, key);
  }

  vector_index_drop(index: string): Promise<Reply> {
    return this.command('VECTOR.INDEX.DROP', index);
  }

  semantic_set(key: string, text: string, value: string, ttl?: number): Promise<Reply> {
    const args: PyArg[] = ['SEMANTIC.SET', key, text, value];
    if (ttl !== undefined) args.push('EX', ttl);
    return this.command(...args);
  }

  /** `return result if result else None`: an empty string reads as None, like a miss. */
  async semantic_get(key: string, text: string, threshold = 0.85): Promise<string | null> {
    // The seed passes the threshold as a Python float: 1 would go as `1.0`.
    const wire = ['SEMANTIC.GET', key, text, 'THRESHOLD', pythonFloatRepr(threshold)];
    this.sent.push(wire);
    const result = await this.execute(...(wire as [string, ...string[]]));
    return result ? (result as string) : null;
  }

  semantic_delete(key: string): Promise<Reply> {
    return this.command('SEMANTIC.DEL', key);
  }

  crdt_counter_incr(key: string, amount: number | bigint = 1): Promise<Reply> {
    return this.command('CRDT.COUNTER.INCR', key, amount);
  }

  crdt_counter_get(key: string): Promise<Reply> {
    return this.command('CRDT.COUNTER.GET', key);
  }

  crdt_set_add(key: string, ...members: string[]): Promise<Reply> {
    return this.command('CRDT.SET.ADD', key, ...members);
  }

  crdt_set_members(key: string): Promise<Reply> {
    return this.command('CRDT.SET.MEMBERS', key);
  }

  cdc_subscribe(pattern: string): Promise<Reply> {
    return this.command('CDC.SUBSCRIBE', pattern);
  }

  /**
   * Not in the seed, which stops at `cdc_subscribe`: what its user writes next to read events,
   * `client.execute_command("CDC.POLL", sub_id, "COUNT", count)`, each event read as redis-py
   * hands it over (a dict in RESP3; a flat `[field, value, …]` list in RESP2, read pairwise).
   */
  async cdc_poll(subscription: number | bigint, count = 100): Promise<PyEvent[]> {
    const reply = await this.command('CDC.POLL', subscription, 'COUNT', count);
    return (reply as Reply[]).map(pyEvent);
  }
}

/** A CDC event as a Python dict: ints stay ints, bulk strings are text, nil is None. */
export type PyEvent = Record<string, string | number | bigint | null>;

function pyEvent(reply: Reply): PyEvent {
  const event: PyEvent = {};
  const entries: Array<[Reply, Reply]> = [];
  if (reply instanceof Map) for (const [field, value] of reply) entries.push([field, value]);
  else if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) entries.push([reply[i] as Reply, reply[i + 1] as Reply]);
  else throw new Error(`a CDC event should be a dict or a list, got ${pyStr(reply)}`);
  for (const [field, value] of entries) {
    if (Array.isArray(value) || value instanceof Map || Buffer.isBuffer(value)) throw new Error('unexpected nested value in a CDC event');
    event[pyStr(field)] = value;
  }
  return event;
}
