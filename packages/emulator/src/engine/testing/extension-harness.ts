import type { ChangeLogView, CommandSpec, Database, ExecutionContext, SessionView } from '../command.js';
import { CommandError } from '../reply.js';
import type { EngineReply } from '../reply.js';
import type { RespArgument, RespValue } from './raw-client.js';

/**
 * TEMPORARY stand-in for the engine while its dispatcher and server are not committed: runs the
 * extension command specs with a minimal ExecutionContext and turns replies into what RESP2 or
 * RESP3 would carry. The command-level tests talk to it through {@link TestConnection}, the same
 * interface they will use over TCP against `startEmulator()`.
 */
export interface TestConnection {
  send(...args: RespArgument[]): Promise<RespValue>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly commands: readonly CommandSpec[];
  readonly changeLog?: ChangeLogView;
  readonly embed?: (text: string) => Float32Array;
  readonly semanticDefaultTtl?: number;
  readonly now?: () => number;
}

function toResp(reply: EngineReply, protocol: 2 | 3): RespValue {
  switch (reply.kind) {
    case 'simple':
      return { type: 'simple', value: reply.value };
    case 'error':
      return { type: 'error', value: reply.message };
    case 'integer':
      return { type: 'integer', value: reply.value };
    case 'bulk':
      return { type: 'bulk', value: reply.value };
    case 'null':
      return protocol === 3 ? { type: 'null' } : { type: 'bulk', value: null };
    case 'null-array':
      return protocol === 3 ? { type: 'null' } : { type: 'array', items: null };
    case 'double':
      return protocol === 3 ? { type: 'double', value: reply.value } : { type: 'bulk', value: Buffer.from(String(reply.value)) };
    case 'boolean':
      return protocol === 3 ? { type: 'boolean', value: reply.value } : { type: 'integer', value: reply.value ? 1n : 0n };
    case 'array':
      return { type: 'array', items: reply.items.map((item) => toResp(item, protocol)) };
    case 'set':
      return protocol === 3 ? { type: 'set', items: reply.items.map((item) => toResp(item, protocol)) } : { type: 'array', items: reply.items.map((item) => toResp(item, protocol)) };
    case 'map':
      return protocol === 3
        ? { type: 'map', entries: reply.entries.map(([k, v]) => [toResp(k, protocol), toResp(v, protocol)]) }
        : { type: 'array', items: reply.entries.flatMap(([k, v]) => [toResp(k, protocol), toResp(v, protocol)]) };
  }
}

export class ExtensionHarness {
  private readonly databases = new Map<number, Map<string, unknown>>();
  private nextSessionId = 1;

  constructor(private readonly options: HarnessOptions) {}

  flush(): void {
    this.databases.clear();
  }

  connect(protocol: 2 | 3): TestConnection {
    const databases = this.databases;
    const closeHandlers: Array<() => void> = [];
    const sessionState = new Map<string, unknown>();
    const controller = new AbortController();
    let selected = 0;
    const session: SessionView = {
      id: this.nextSessionId++,
      protocol,
      extension<T>(name: string, create: () => T): T {
        if (!sessionState.has(name)) sessionState.set(name, create());
        return sessionState.get(name) as T;
      },
      onClose(cleanup) {
        closeHandlers.push(cleanup);
      },
    };
    const database = (): Database => ({
      index: selected,
      extension<T>(name: string, create: () => T): T {
        let state = databases.get(selected);
        if (state === undefined) databases.set(selected, (state = new Map()));
        if (!state.has(name)) state.set(name, create());
        return state.get(name) as T;
      },
    });
    const options = this.options;
    const context = (): ExecutionContext => ({
      db: database(),
      now: options.now ?? Date.now,
      embed: options.embed ?? (() => new Float32Array(1)),
      semanticDefaultTtl: options.semanticDefaultTtl,
      session,
      signal: controller.signal,
      recordChange(op, key, value) {
        options.changeLog?.append({ db: selected, op, key, value });
      },
      changeLog: options.changeLog ?? { append() {} },
    });
    return {
      async send(...args) {
        const buffers = args.map((arg) => (Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))));
        const name = (buffers[0] as Buffer).toString('latin1');
        if (name.toUpperCase() === 'SELECT') {
          selected = Number((buffers[1] as Buffer).toString());
          return { type: 'simple', value: 'OK' };
        }
        const spec = options.commands.find((candidate) => candidate.name === name.toUpperCase());
        if (spec === undefined) return { type: 'error', value: `ERR unknown command '${name}'` };
        if (spec.arity > 0 ? buffers.length !== spec.arity : buffers.length < -spec.arity) {
          return { type: 'error', value: `ERR wrong number of arguments for '${name.toLowerCase()}' command` };
        }
        try {
          return toResp(await spec.handler(context(), buffers.slice(1)), protocol);
        } catch (error) {
          if (error instanceof CommandError) return { type: 'error', value: error.message };
          throw error;
        }
      },
      async close() {
        controller.abort();
        for (const cleanup of closeHandlers) cleanup();
      },
    };
  }
}
