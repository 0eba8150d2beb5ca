import type { ArgInput } from './args.js';
import type { CallOptions, EffectiveCallOptions } from './call-options.js';
import type { CommandDefinition, PreparedCommand } from './command.js';
import type { FerriteError } from './errors.js';
import type { Reply } from './reply.js';
import type { DedicatedOptions, Transport, TransportNode } from './transport.js';

/** The outcome of one entry of a batch: its value, or the error that entry alone met. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FerriteError };

/**
 * What a plugin gets to build its API with. Every call runs under the options of the client or
 * view the context was made for (`ferrite.withOptions(...)`): its timeout and signal, else the
 * client's deadline. The context holds them: a handle built from it keeps them.
 */
export interface PluginContext {
  readonly transport: Transport;
  /**
   * Validates, sends and decodes one command. "unknown command" becomes `FerriteUnsupportedError`.
   * A `retryable` command is sent again after a connection failure, within the deadline.
   */
  call<Args extends readonly unknown[], Result>(command: CommandDefinition<Args, Result>, ...args: Args): Promise<Result>;
  /** Sends prepared commands in one pipeline; every entry settles on its own, in order. */
  batch<Result>(commands: readonly PreparedCommand<Result>[]): Promise<Settled<Result>[]>;
  /** Sends any command as is. */
  send(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** Sends any command as is and gets every string of the reply as a `Buffer` (binary data stays intact). */
  sendBuffer(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** Whether the server implements a command (asked once with `COMMAND INFO`, then remembered). */
  supports(command: string): Promise<boolean>;
  /** A context over a dedicated connection, for blocking calls and per-connection state. */
  dedicated(options?: DedicatedOptions): Promise<DedicatedContext>;
  /** Runs `cleanup` when the client closes, before the transport is closed (within half a second). */
  onClose(cleanup: () => void | Promise<void>): void;
  /**
   * The options a call made through this context runs with: its view's timeout and signal, else
   * the client's. For long-lived work a method starts (a feed) that should end with the caller's signal.
   */
  callOptions(): EffectiveCallOptions;
  /** The same context whose calls use these options over the current ones (the timeout replaces, signals add up). */
  withOptions(options: CallOptions): PluginContext;
  /**
   * The primaries behind the transport (one on a single node; see `Transport.nodes`). A
   * transport without `nodes()` counts as one node with its name as id.
   */
  nodes(): Promise<readonly TransportNode[]>;
  /**
   * The same context whose commands all go to one node (an id from {@link nodes}), unrouted:
   * for commands every primary must answer (`VECTOR.INDEX.LIST`) or per-node state (a change
   * log). Deadlines, signals and retries apply as everywhere else.
   */
  onNode(nodeId: string): PluginContext;
}

/** A context over a connection of its own; closing it (or any view of it) closes the connection. */
export interface DedicatedContext extends Omit<PluginContext, 'onClose' | 'dedicated' | 'withOptions' | 'onNode'>, AsyncDisposable {
  /** Closes the connection. */
  close(): Promise<void>;
  /** This connection, with calls using these options over the current ones. */
  withOptions(options: CallOptions): DedicatedContext;
}

/**
 * A plugin adds one namespace to the client: `createFerrite({ plugins: [vector()] })` gives
 * `ferrite.vector`.
 *
 * `state` runs once per root client, with a context carrying the client's own options: what it
 * returns is shared by the client, its views (`withOptions`) and the clients `extend()` makes from
 * it (caches, single flights, cleanups registered with `onClose`). `setup` builds the namespace
 * for one of them, with a context whose calls carry that client's or view's options: for the
 * root client when it is made, for a view on first access of the namespace. Work shared between
 * callers (a single flight, a cache fill) belongs in `state` and runs with the state's context,
 * so that no caller's signal or timeout reaches it.
 */
export interface FerritePlugin<Name extends string = string, Api = unknown, State = unknown> {
  /** The namespace the plugin adds to the client (`vector` gives `ferrite.vector`). */
  readonly name: Name;
  /** What every client of the family shares; called once per root client. */
  state?(context: PluginContext): State;
  /** Builds the namespace's API for one client or view, from its context and the shared state. */
  setup(context: PluginContext, state: State): Api;
}

/** Declares a plugin; the identity function that fixes its name, API and state types. */
export function definePlugin<const Name extends string, Api, State = undefined>(plugin: FerritePlugin<Name, Api, State>): FerritePlugin<Name, Api, State> {
  return plugin;
}

/** Any plugin, whatever its name and API: the element type of `plugins`. */
// `any`: a plugin's state type is its own business, and `setup` takes it as a parameter.
export type AnyPlugin = FerritePlugin<string, unknown, any>;
/** The API type a plugin adds. */
export type PluginApi<P> = P extends FerritePlugin<string, infer Api, any> ? Api : never;

/** The namespaces a list of plugins adds, keyed by plugin name. */
export type PluginApis<Plugins extends readonly AnyPlugin[]> = {
  readonly [P in Plugins[number] as P['name']]: PluginApi<P>;
};
