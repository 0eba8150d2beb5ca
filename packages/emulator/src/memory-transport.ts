import { FerriteConnectionError } from '@ferrite/core';
import { doubleReply, integerReply, replyErrorFor, settleEach, SingleNode, textReply, TransportLifecycle } from '@ferrite/core/transport';
import type { BatchEntry, DedicatedOptions, DedicatedTransport, Reply, Transport, TransportNode, TransportSendOptions, WireCommand } from '@ferrite/core';
import { formatDouble } from './engine/format-double.js';
import { Emulator } from './engine/emulator.js';
import type { EngineReply } from './engine/reply.js';
import type { Session } from './engine/session.js';

/** Options of `memoryTransport`. */
export interface MemoryTransportOptions {
  /** The emulator to talk to. Default: a new one, private to this transport. */
  readonly emulator?: Emulator;
  /** Protocol of the session (what `HELLO` would have chosen). Default 3, as the drivers. */
  readonly protocol?: 2 | 3;
}

const EXPIRY_SWEEP_MS = 100;

/** The in-process emulator as a node: there is one, with a fixed id. */
const MEMORY_NODE = new SingleNode('memory', 0, 'memory');

/** An error reply found while normalising, rejected as a FerriteReplyError by `send`. */
class ErrorInReply extends Error {}

/**
 * Turns an engine reply into what a driver would hand over (see `Reply` in @ferrite/core):
 * integers as number or bigint, bulk as UTF-8 text or Buffer, doubles as their decimal text,
 * booleans as 1/0, RESP3 maps as Map and RESP2 maps as flat arrays.
 */
function normalise(reply: EngineReply, protocol: 2 | 3, binary: boolean): Reply {
  switch (reply.kind) {
    case 'simple':
      return textReply(reply.value, binary);
    case 'error':
      throw new ErrorInReply(reply.message);
    case 'integer':
      return integerReply(reply.value);
    case 'bulk':
      return binary ? Buffer.from(reply.value) : reply.value.toString('utf8');
    case 'null':
    case 'null-array':
      return null;
    case 'double':
      return doubleReply(formatDouble(reply.value), binary);
    case 'boolean':
      return reply.value ? 1 : 0;
    case 'array':
    case 'set':
      return reply.items.map((item) => normalise(item, protocol, binary));
    case 'map': {
      if (protocol === 2) return reply.entries.flatMap(([key, value]) => [normalise(key, protocol, binary), normalise(value, protocol, binary)]);
      const result = new Map<string, Reply>();
      for (const [key, value] of reply.entries) {
        const name = normalise(key, protocol, false);
        result.set(typeof name === 'string' ? name : String(name), normalise(value, protocol, binary));
      }
      return result;
    }
  }
}

function toBuffer(arg: string | Buffer): Buffer {
  return typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
}

/** The engine a server serves now: a memory server's restart replaces it (`memoryServer`). */
export interface ServedEngine {
  readonly emulator: Emulator;
}

interface Shared {
  readonly served: ServedEngine;
  readonly stopSweep: () => void;
}

class MemoryTransport implements DedicatedTransport {
  readonly name = 'memory';
  /** The "connection": a session of the engine served when it was opened. */
  private session: Session;
  private engine: Emulator;
  private readonly children = new Set<MemoryTransport>();
  private closed = false;
  private readonly lifecycle = new TransportLifecycle('memory');
  /** The last pending asynchronous command: later ones wait for it, as on a real connection. */
  private tail: Promise<unknown> | undefined;

  constructor(
    private readonly shared: Shared,
    protocol: 2 | 3,
    private readonly root: boolean,
  ) {
    this.engine = shared.served.emulator;
    this.session = this.engine.createSession({ protocol });
  }

  /**
   * The session to run on, or undefined when this transport is closed. A root transport whose
   * server restarted opens a session on the new engine, as a driver reconnects; a dedicated one
   * ends with its connection, as a driver's dedicated connection does.
   */
  private liveSession(): Session | undefined {
    if (this.closed) return undefined;
    if (!this.session.closed) return this.session;
    const served = this.shared.served.emulator;
    if (!this.root || served === this.engine) return undefined;
    this.engine = served;
    this.session = served.createSession({ protocol: this.session.protocol });
    return this.session;
  }

  get protocol(): 2 | 3 {
    return this.session.protocol;
  }

  nodes(): Promise<readonly TransportNode[]> {
    return MEMORY_NODE.nodes();
  }

  send(command: WireCommand, options?: TransportSendOptions): Promise<Reply> {
    if (this.liveSession() === undefined) return Promise.reject(new FerriteConnectionError('the memory transport is closed', { maybeApplied: false }));
    try {
      MEMORY_NODE.assert(options?.node);
    } catch (error) {
      return Promise.reject(error);
    }
    // Only a command that waits behind another can be taken back; core makes a call's signal on
    // first read, and an AbortSignal per command was a tenth of a change feed's time here.
    const signal = this.tail === undefined ? undefined : options?.signal;
    return this.submit(command, signal ? signalWatch(signal) : undefined);
  }

  /**
   * Queues one command. A command waits for the one before it, as on a real connection; until it
   * starts it can be taken back (the caller stopped waiting: `abort` fires, or the transport
   * closed) and was never applied.
   */
  private submit(command: WireCommand, abort: AbortWatch | undefined): Promise<Reply> {
    let started = false;
    let withdrawn = false;
    const start = (): Promise<Reply> => {
      if (withdrawn) return new Promise<Reply>(() => {});
      started = true;
      return this.run(command);
    };
    const work = this.tail === undefined ? start() : this.tail.then(start, start);
    const withdraw = (): boolean => {
      if (started) return false;
      withdrawn = true;
      return true;
    };
    const tracked = new Promise<Reply>((resolve, reject) => {
      const onAbort = (): void => {
        if (withdraw()) reject(new FerriteConnectionError('withdrawn before it ran', { maybeApplied: false }));
      };
      abort?.add(onAbort);
      work.then(
        (value) => (abort?.remove(onAbort), resolve(value)),
        (error: unknown) => (abort?.remove(onAbort), reject(error)),
      );
    });
    return this.track(this.lifecycle.track(tracked, withdraw));
  }

  async batch(commands: readonly WireCommand[], options?: TransportSendOptions): Promise<BatchEntry[]> {
    if (this.liveSession() === undefined) throw new FerriteConnectionError('the memory transport is closed', { maybeApplied: false });
    MEMORY_NODE.assert(options?.node);
    // One listener on the caller's signal for the whole batch (a listener per command would trip
    // Node's warning about more than ten listeners on one signal).
    const signal = options?.signal;
    const relay = signal ? new AbortRelay() : undefined;
    const onAbort = (): void => relay?.fire();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await settleEach(commands.map((command) => this.submit(command, relay)), 'memory');
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async dedicated(options?: DedicatedOptions): Promise<DedicatedTransport> {
    const session = this.liveSession();
    if (session === undefined) throw new FerriteConnectionError('the memory transport is closed', { maybeApplied: false });
    MEMORY_NODE.assert(options?.node);
    const child = new MemoryTransport(this.shared, session.protocol, false);
    this.children.add(child);
    child.session.onClose(() => this.children.delete(child));
    return child;
  }

  close(): Promise<void> {
    this.closed = true;
    // Closing the session ends what it holds on the server (a blocked CDC.POLL, subscriptions);
    // the lifecycle settles every call still pending.
    return this.lifecycle.close(async () => {
      for (const child of [...this.children]) await child.close();
      this.engine.closeSession(this.session);
      if (this.root) this.shared.stopSweep();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private track(result: Promise<Reply>): Promise<Reply> {
    this.tail = result;
    const clear = () => {
      if (this.tail === result) this.tail = undefined;
    };
    result.then(clear, clear);
    return result;
  }

  private async run(command: WireCommand): Promise<Reply> {
    const session = this.liveSession();
    if (session === undefined) throw new FerriteConnectionError('the memory transport is closed', { maybeApplied: false });
    const engine = this.engine;
    const argv = [Buffer.from(command.name, 'utf8'), ...command.args.map(toBuffer)];
    const reply = await engine.execute(session, argv);
    // Killed by another connection while the command ran (CLIENT KILL, a server restart): on a
    // socket the reply would be lost with the connection.
    if (session.closed && !session.closeRequested) {
      throw new FerriteConnectionError('the memory session was closed before the reply arrived; the command may or may not have been applied');
    }
    // QUIT or CLIENT KILL of itself: the reply still arrives, then the "connection" is gone.
    if (session.closeRequested) engine.closeSession(session);
    try {
      return normalise(reply, session.protocol, command.binary === true);
    } catch (error) {
      if (error instanceof ErrorInReply) throw replyErrorFor(command.name, error.message);
      throw error;
    }
  }
}

/**
 * A {@link Transport} straight into an emulator, without a socket: each transport (and each
 * `dedicated()` one) is a session of its own, with its own SELECT and CDC subscriptions.
 */
export function memoryTransport(options: MemoryTransportOptions = {}): Transport {
  const emulator = options.emulator ?? new Emulator();
  const sweep = setInterval(() => emulator.expireDue(), EXPIRY_SWEEP_MS);
  sweep.unref();
  return new MemoryTransport({ served: { emulator }, stopSweep: () => clearInterval(sweep) }, options.protocol ?? 3, true);
}

/**
 * A transport into whatever engine `served` names at each reconnect (a memory server's): it
 * leaves expiry to its server.
 */
export function memoryTransportTo(served: ServedEngine, protocol: 2 | 3): Transport {
  return new MemoryTransport({ served, stopSweep: () => {} }, protocol, true);
}

/** Where a queued command hears that its caller stopped waiting. */
interface AbortWatch {
  add(listener: () => void): void;
  remove(listener: () => void): void;
}

function signalWatch(signal: AbortSignal): AbortWatch {
  return {
    add: (listener) => signal.addEventListener('abort', listener, { once: true }),
    remove: (listener) => signal.removeEventListener('abort', listener),
  };
}

/** Passes one abort on to every command of a batch. */
class AbortRelay implements AbortWatch {
  readonly #listeners = new Set<() => void>();

  add(listener: () => void): void {
    this.#listeners.add(listener);
  }

  remove(listener: () => void): void {
    this.#listeners.delete(listener);
  }

  fire(): void {
    for (const listener of [...this.#listeners]) listener();
    this.#listeners.clear();
  }
}
