import type { ArgInput } from './args.js';
import { assertTimeout, EMPTY_SCOPE, mergeScopes, toScope, type CallOptions, type CallScope } from './call-options.js';
import { createContext } from './context.js';
import { FerriteValidationError } from './errors.js';
import { ClientFamily } from './family.js';
import type { AnyPlugin, PluginApis } from './plugin.js';
import type { Reply } from './reply.js';
import type { Transport } from './transport.js';

/** The client-wide deadline when none is given: no call waits longer than this for its reply. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Attempts of a retryable command when none is given, the first included. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** What `createFerrite` needs: a transport, and the plugins whose namespaces the client gets. */
export interface FerriteOptions<Plugins extends readonly AnyPlugin[]> {
  readonly transport: Transport;
  readonly plugins?: Plugins;
  /**
   * Deadline of every call in milliseconds (send, sendBuffer, every plugin method), covering every
   * attempt, the waits between them and a reply still on its way; then the call rejects with
   * `FerriteTimeoutError`. A blocking command gets its blocking time more: a plugin command's
   * definition says it (`blockingMs`); for `send`, the standard blocking commands' own argument
   * (`XREAD … BLOCK`, `BLPOP`'s seconds, `WAIT`; `0` there: no deadline). No value sent ever does.
   * Default 10000; `Infinity` disables it.
   */
  readonly timeout?: number;
  /**
   * Attempts of a command whose definition is `retryable`, the first included, after connection
   * failures (with backoff, within the deadline). Default 3; `1` never retries. Other commands,
   * and everything sent with `send`, are sent at most once.
   */
  readonly maxAttempts?: number;
}

/** What every client has, whatever plugins it was given. */
export interface FerriteBase<Plugins extends readonly AnyPlugin[]> extends AsyncDisposable {
  readonly transport: Transport;
  /** Sends any command as is: `ferrite.send('HSET', 'user:1', 'name', 'Ada')`. Strings in the reply are UTF-8 text. Never retried. */
  send(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** As `send`, but every string of the reply is a `Buffer`: use it for binary values (`GET` of an image, `VECTOR.GET`). */
  sendBuffer(name: string, ...args: ArgInput[]): Promise<Reply>;
  /** Whether the server implements a command (asked once with `COMMAND INFO`, then remembered). */
  supports(command: string): Promise<boolean>;
  /**
   * A client with one more plugin, over the same transport, sharing the existing plugins' state
   * (their `state`) and one lifecycle: closing any client of the family closes them all. Made
   * from a view, it keeps the view's options.
   */
  extend<P extends AnyPlugin>(plugin: P): FerriteClient<readonly [...Plugins, P]>;
  /**
   * A view of this client (same plugins, state and transport) whose every call uses these
   * options: `ferrite.withOptions({ signal }).vector.search(...)`. Cheap to make: a plugin's
   * namespace is built on first access. Handles and iterators a plugin method returns keep them.
   * Work shared with other callers (a single flight, a cached capability) is not the view's: its
   * signal and timeout only stop its own wait. Views compose: the innermost timeout wins; every
   * signal applies.
   */
  withOptions(options: CallOptions): FerriteClient<Plugins>;
  /**
   * Runs the plugins' cleanups, then closes the transport, then rejects calls still pending with
   * `FerriteConnectionError`. Settles within a second whatever the server does. Closes every
   * client of the family (`extend`, `withOptions`). Safe to call twice.
   */
  close(): Promise<void>;
}

/** A client: the base methods plus one namespace per plugin (`ferrite.vector`), typed from the plugins given. */
export type FerriteClient<Plugins extends readonly AnyPlugin[] = readonly []> = FerriteBase<Plugins> &
  PluginApis<Plugins>;

const RESERVED = new Set(['transport', 'send', 'sendBuffer', 'supports', 'extend', 'withOptions', 'close', 'then']);

/**
 * Composes a client from a transport and plugins. The client's type has exactly the namespaces
 * of the plugins given.
 *
 * ```ts
 * const ferrite = createFerrite({ transport: ioredisTransport(redis), plugins: [vector(), semantic()] });
 * await ferrite.vector.search('docs', query, { topK: 5 });
 * ```
 */
export function createFerrite<const Plugins extends readonly AnyPlugin[] = readonly []>(
  options: FerriteOptions<Plugins>,
): FerriteClient<Plugins> {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  assertTimeout(timeout, 'timeout');
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new FerriteValidationError('maxAttempts', `expected an integer of at least 1, got ${String(maxAttempts)}`);
  }
  const family = new ClientFamily(options.transport, timeout, maxAttempts);
  return compose(family, options.plugins ?? ([] as unknown as Plugins));
}

/** One client or view: the options its calls carry, and its namespaces once built. */
interface ClientState {
  readonly family: ClientFamily;
  readonly plugins: readonly AnyPlugin[];
  readonly scope: CallScope;
  readonly namespaces: Map<AnyPlugin, unknown>;
}

/** The state of each client and view, found from the object a namespace getter is called on. */
const states = new WeakMap<object, ClientState>();

/**
 * Found on the client itself or, for an object whose prototype is a client (what a wrapper such
 * as `@ferrite/client`'s adds `redis` with), on the nearest client below it.
 */
function stateOf(client: object): ClientState {
  for (let level: object | null = client; level !== null; level = Object.getPrototypeOf(level) as object | null) {
    const state = states.get(level);
    if (state) return state;
  }
  throw new TypeError('a Ferrite namespace was read from an object that is not a Ferrite client');
}

/** A plugin's namespace for one client or view: `setup` with that client's context, once. */
function namespaceOf(state: ClientState, plugin: AnyPlugin): unknown {
  if (state.namespaces.has(plugin)) return state.namespaces.get(plugin);
  const { family } = state;
  const context = createContext(family.transport, family, state.scope, undefined, plugin.name);
  const api = plugin.setup(context, sharedStateOf(family, plugin));
  state.namespaces.set(plugin, api);
  return api;
}

/** What a plugin's `state` made for this family, made now if it was not yet (with the client's own options). */
function sharedStateOf(family: ClientFamily, plugin: AnyPlugin): unknown {
  if (!family.states.has(plugin)) {
    family.states.set(plugin, plugin.state?.(createContext(family.transport, family, EMPTY_SCOPE, undefined, plugin.name)));
  }
  return family.states.get(plugin);
}

/**
 * The prototype every client and view over one list of plugins shares: a getter per namespace,
 * so a view costs the same to make however many plugins there are.
 */
function prototypeFor(plugins: readonly AnyPlugin[]): object {
  const prototype: Record<string, unknown> = {};
  for (const plugin of plugins) {
    if (RESERVED.has(plugin.name)) throw new TypeError(`a plugin cannot be named "${plugin.name}"`);
    if (Object.hasOwn(prototype, plugin.name)) throw new TypeError(`two plugins are named "${plugin.name}"`);
    Object.defineProperty(prototype, plugin.name, {
      get(this: object) {
        return namespaceOf(stateOf(this), plugin);
      },
      enumerable: true,
    });
  }
  return Object.freeze(prototype);
}

/** A root client, or one `extend()` made: every plugin's shared state exists and its namespace is built now. */
function compose<Plugins extends readonly AnyPlugin[]>(family: ClientFamily, plugins: Plugins): FerriteClient<Plugins> {
  const client = clientOver(family, plugins, prototypeFor(plugins), EMPTY_SCOPE);
  const state = stateOf(client);
  for (const plugin of plugins) namespaceOf(state, plugin);
  return client;
}

/** A client over `prototype`'s plugins whose calls carry `scope`. */
function clientOver<Plugins extends readonly AnyPlugin[]>(family: ClientFamily, plugins: Plugins, prototype: object, scope: CallScope): FerriteClient<Plugins> {
  const context = createContext(family.transport, family, scope);
  const close = (): Promise<void> => family.close();
  const client = Object.create(prototype) as Record<string | symbol, unknown>;
  client.transport = family.transport;
  client.send = context.send;
  client.sendBuffer = context.sendBuffer;
  client.supports = context.supports;
  client.extend = (plugin: AnyPlugin) => {
    const extended = compose(family, [...plugins, plugin] as const);
    // A view's extension is the extended client seen through the same options.
    return scope === EMPTY_SCOPE ? extended : clientOver(family, [...plugins, plugin], Object.getPrototypeOf(extended) as object, scope);
  };
  client.withOptions = (callOptions: CallOptions) => clientOver(family, plugins, prototype, mergeScopes(scope, toScope(callOptions)));
  client.close = close;
  client[Symbol.asyncDispose] = close;
  states.set(client, { family, plugins, scope, namespaces: new Map() });
  return Object.freeze(client) as unknown as FerriteClient<Plugins>;
}
