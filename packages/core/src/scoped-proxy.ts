/**
 * Views of a client (`withOptions`) hand out the same plugin objects, wrapped: every function
 * called through the wrapper runs inside the view's scope, so the commands it sends use the
 * view's options. What a call returns is wrapped the same way when it is something with methods
 * (a handle, an async iterator), so calls made later through it keep the options too. Plain data
 * (records, arrays, Maps, Buffers) is handed over untouched.
 */

type Enter = <T>(work: () => T) => T;

/** Kinds whose methods read internal slots a proxy does not have, or that are data. */
function isData(value: object): boolean {
  return (
    Array.isArray(value) ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof Promise
  );
}

/** Has methods or accessors of its own or on its prototypes (a class instance, an iterator). */
function isHandleLike(value: object): boolean {
  if (isData(value)) return false;
  for (let level: object | null = value; level !== null && level !== Object.prototype; level = Object.getPrototypeOf(level)) {
    for (const key of Reflect.ownKeys(level)) {
      if (key === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, key);
      if (descriptor && (typeof descriptor.value === 'function' || descriptor.get !== undefined)) return true;
    }
  }
  return false;
}

export class Scoper {
  readonly #enter: Enter;
  readonly #proxies = new WeakMap<object, object>();
  readonly #functions = new WeakMap<Function, Function>();

  constructor(enter: Enter) {
    this.#enter = enter;
  }

  /** `value` as seen through the view. */
  wrap<T>(value: T): T {
    if (typeof value === 'function') return this.#wrapFunction(value as unknown as Function) as unknown as T;
    if (typeof value === 'object' && value !== null) {
      if (Object.getPrototypeOf(value) === Promise.prototype) return (value as unknown as Promise<unknown>).then((v) => this.wrap(v)) as unknown as T;
      if (isHandleLike(value)) return this.#wrapObject(value) as T;
    }
    return value;
  }

  #wrapFunction(fn: Function, owner?: { readonly target: object; readonly proxy: object }): Function {
    if (!owner) {
      const known = this.#functions.get(fn);
      if (known) return known;
    }
    const scoper = this;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      // Called on the wrapper: run on the real object, so `#private` fields and internal slots work.
      const self = owner && this === owner.proxy ? owner.target : this;
      return scoper.wrap(scoper.#enter(() => Reflect.apply(fn, self, args)));
    };
    Object.defineProperty(wrapped, 'name', { value: fn.name });
    if (!owner) this.#functions.set(fn, wrapped);
    return wrapped;
  }

  #wrapObject(target: object): object {
    const known = this.#proxies.get(target);
    if (known) return known;
    const methods = new Map<Function, Function>();
    // The proxy's own target is an empty stand-in: a frozen API object's properties are
    // non-configurable, and a proxy must report those unchanged, which the wrapping would break.
    const standIn = {};
    const proxy: object = new Proxy(standIn, {
      get: (_, key) => {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value === 'function') {
          let method = methods.get(value);
          if (!method) {
            method = this.#wrapFunction(value, { target, proxy });
            methods.set(value, method);
          }
          return method;
        }
        return this.wrap(value);
      },
      set: (_, key, value) => Reflect.set(target, key, value, target),
      has: (_, key) => Reflect.has(target, key),
      ownKeys: () => Reflect.ownKeys(target),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
        return descriptor && { ...descriptor, configurable: true };
      },
      defineProperty: (_, key, descriptor) => Reflect.defineProperty(target, key, descriptor),
      deleteProperty: (_, key) => Reflect.deleteProperty(target, key),
      getPrototypeOf: () => Reflect.getPrototypeOf(target),
    });
    this.#proxies.set(target, proxy);
    return proxy;
  }
}
