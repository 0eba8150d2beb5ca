import type { Arg } from '../args.js';
import { readArray, readInteger, type Reply } from '../reply.js';
import type { WireCommand } from '../transport.js';

/** The number of hash slots of a Redis (and Ferrite) cluster. */
export const CLUSTER_SLOTS = 16384;

// CRC16-CCITT (XMODEM), the checksum Redis Cluster uses for key slots.
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM) of `bytes`, the checksum a cluster takes its key slots from. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The cluster slot of a key, honouring hash tags (`{user:1}:name` and `{user:1}:age` share a slot). */
export function slotOf(key: Arg): number {
  let bytes: Uint8Array = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const open = bytes.indexOf(OPEN_BRACE);
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}

interface KeySpec {
  readonly first: number;
}

/**
 * Finds the routing key of standard commands sent raw without one, from `COMMAND INFO` (asked
 * once per command name, through the cluster's driver, and remembered). Ferrite's own commands
 * carry their routing key from their definition and never need it.
 */
export class CommandKeyResolver {
  readonly #specs = new Map<string, Promise<KeySpec | null>>();
  readonly #known = new Map<string, KeySpec | null>();
  readonly #ask: (command: WireCommand) => Promise<Reply>;

  /** `ask` sends a command to any node of the cluster. */
  constructor(ask: (command: WireCommand) => Promise<Reply>) {
    this.#ask = ask;
  }

  /**
   * The routing key of a command, or `null` when it has none (or the server does not know it),
   * when it is known without asking (an explicit key, a command name asked about before);
   * `undefined` otherwise.
   */
  knownRoutingKey(command: WireCommand): Arg | null | undefined {
    if (command.routingKey !== undefined) return command.routingKey;
    const spec = this.#known.get(command.name.toUpperCase());
    if (spec === undefined) return undefined;
    return spec === null ? null : (command.args[spec.first - 1] ?? null);
  }

  /** The routing key of a command, or `null` when it has none (or the server does not know it). */
  async routingKey(command: WireCommand): Promise<Arg | null> {
    if (command.routingKey !== undefined) return command.routingKey;
    const spec = await this.#spec(command.name);
    if (!spec) return null;
    return command.args[spec.first - 1] ?? null;
  }

  #spec(name: string): Promise<KeySpec | null> {
    const upper = name.toUpperCase();
    let spec = this.#specs.get(upper);
    if (!spec) {
      spec = this.#ask({ name: 'COMMAND', args: ['INFO', upper], routingKey: null }).then(
        (reply) => {
          const parsed = parseKeySpec(reply);
          this.#known.set(upper, parsed);
          return parsed;
        },
        (error: unknown) => {
          this.#specs.delete(upper);
          throw error;
        },
      );
      this.#specs.set(upper, spec);
    }
    return spec;
  }
}

function parseKeySpec(reply: Reply): KeySpec | null {
  const entry = readArray(reply)[0];
  if (entry === null || entry === undefined) return null;
  const info = readArray(entry);
  const first = readInteger(info[3] ?? 0);
  return first > 0 ? { first } : null;
}

const SCRIPT_CALLS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

/**
 * The first key of a script call (`EVAL script numkeys key…`): `null` without keys, `undefined`
 * for other commands. `COMMAND INFO` cannot place script keys, so they are read here.
 */
export function scriptKey(command: WireCommand): Arg | null | undefined {
  if (!SCRIPT_CALLS.has(command.name.toUpperCase())) return undefined;
  const count = command.args[1];
  const keys = count === undefined ? 0 : Number(count.toString());
  return keys > 0 ? (command.args[2] ?? null) : null;
}

/**
 * Standard commands that only read, which `readFrom: 'replica'` sends to replicas like the
 * definitions marked `readonly`.
 */
export const STANDARD_READ_COMMANDS: ReadonlySet<string> = new Set(
  (
    'GET MGET GETRANGE STRLEN EXISTS TYPE TTL PTTL EXPIRETIME PEXPIRETIME DUMP OBJECT LCS SUBSTR ' +
    'HGET HMGET HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN HRANDFIELD HSCAN ' +
    'LRANGE LINDEX LLEN LPOS SMEMBERS SISMEMBER SMISMEMBER SCARD SRANDMEMBER SINTER SINTERCARD SUNION SDIFF SSCAN ' +
    'ZRANGE ZRANGEBYSCORE ZRANGEBYLEX ZREVRANGE ZREVRANGEBYSCORE ZREVRANGEBYLEX ZSCORE ZMSCORE ZRANK ZREVRANK ZCARD ' +
    'ZCOUNT ZLEXCOUNT ZRANDMEMBER ZSCAN ZUNION ZINTER ZINTERCARD ZDIFF ' +
    'XRANGE XREVRANGE XLEN XINFO GEOPOS GEODIST GEOHASH GEOSEARCH BITCOUNT BITPOS GETBIT PFCOUNT ' +
    'EVAL_RO EVALSHA_RO FCALL_RO SORT_RO'
  ).split(' '),
);

/** Whether a command only reads: its definition says so, or it is a standard read command. */
export function isReadCommand(command: WireCommand): boolean {
  return command.readonly === true || STANDARD_READ_COMMANDS.has(command.name.toUpperCase());
}
