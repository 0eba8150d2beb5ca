/**
 * The error hierarchy. Every class carries a brand in a global symbol so that `instanceof` and
 * the `is*` helpers work even when two copies of @ferrite/core end up in one program (a plugin
 * bundled against another version, a monorepo with duplicated installs).
 */

const BRAND = Symbol.for('@ferrite/core/error-brand');

/** What went wrong, one code per error class; stable across versions, unlike messages. */
export type FerriteErrorCode =
  | 'REPLY'
  | 'VALIDATION'
  | 'TIMEOUT'
  | 'CONNECTION'
  | 'UNSUPPORTED'
  | 'ABORTED'
  | 'PROTOCOL';

/** Kinds of server error, recognised by the stable phrases of {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#classifying-errors | the wire contract}. */
export type ReplyErrorKind =
  | 'unknown-index'
  | 'index-exists'
  | 'dimension-mismatch'
  | 'filter-syntax'
  | 'cdc-position-expired'
  | 'no-such-subscription'
  | 'unknown-command'
  | 'wrongtype'
  | 'noauth'
  | 'wrongpass'
  | 'crossslot'
  | 'other';

type Branded = { readonly [BRAND]: ReadonlySet<unknown> };

function hasBrand(value: unknown, brand: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const brands = (value as Partial<Branded>)[BRAND];
  return brands instanceof Set && brands.has(brand);
}

/**
 * A class's own static `brand`, or, for a subclass that declares none (as a plugin author may
 * well write), the class itself: inheriting the parent's brand would make the subclass match
 * every error of the parent, and siblings match each other.
 */
function brandOf(ctor: unknown): unknown {
  return Object.hasOwn(ctor as object, 'brand') ? (ctor as { brand: string }).brand : ctor;
}

function brandsOf(error: FerriteError): Set<unknown> {
  const brands = new Set<unknown>();
  // Walk the prototype chain so a subclass is also each of its ancestors.
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    brands.add(brandOf(proto.constructor));
  }
  return brands;
}

/** Options every Ferrite error accepts. */
export interface FerriteErrorOptions {
  /** The underlying error (a driver or socket error), kept for debugging. */
  cause?: unknown;
}

/** Options of the errors that say whether the command may have run (timeout, abort, connection). */
export interface MaybeAppliedErrorOptions extends FerriteErrorOptions {
  /**
   * `false` only when the command provably never left the client (rejected before it was
   * written, dropped from a driver's queue while disconnected).
   */
  maybeApplied?: boolean;
}

/** Longest stretch of a caller's value an error message quotes: a 1 MB key must not make a 1 MB message. */
export const MAX_QUOTED_CHARS = 200;

/** `text` cut to {@link MAX_QUOTED_CHARS} characters, saying how long it was when cut. */
export function truncateForMessage(text: string): string {
  if (text.length <= MAX_QUOTED_CHARS) return text;
  return `${text.slice(0, MAX_QUOTED_CHARS)}… (${text.length} characters)`;
}

/** Redis echoes the arguments of an unknown command; the SDK never puts arguments in errors. */
const ARGUMENT_ECHO = /,? with args beginning with:[\s\S]*$/;

/** The base of every error the SDK raises. Extend it (or a subclass) for a plugin's own errors; a static `brand` (a unique string) keeps `instanceof` working across duplicated installs. */
export class FerriteError extends Error {
  /** The name `instanceof` looks for in an error's brands: unique per class, shared by every copy of the package. */
  static readonly brand: string = 'FerriteError';
  declare readonly [BRAND]: ReadonlySet<unknown>;
  /** Which kind of failure this is. */
  readonly code: FerriteErrorCode;

  constructor(code: FerriteErrorCode, message: string, options?: FerriteErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: brandsOf(this), enumerable: false });
  }

  /** Compares brands instead of prototypes, so an error from another copy of the package still matches its class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, brandOf(this));
  }
}

/** An error reply from the server. Keeps the server's text and the command name, never the arguments. */
export class FerriteReplyError extends FerriteError {
  static override readonly brand: string = 'FerriteReplyError';
  /** The command as sent, upper-cased (`VECTOR.SEARCH`). */
  readonly command: string;
  /** The server's error text, unchanged. */
  readonly serverMessage: string;
  /** Classification by the stable phrases of {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#classifying-errors | the wire contract}. */
  readonly kind: ReplyErrorKind;

  constructor(command: string, serverMessage: string, options?: FerriteErrorOptions) {
    const text = serverMessage.replace(ARGUMENT_ECHO, '');
    super('REPLY', text, options);
    this.command = truncateForMessage(command.toUpperCase());
    this.serverMessage = text;
    this.kind = classifyReplyError(text);
  }
}

/**
 * A cluster refused a command whose keys hash to different slots (`CROSSSLOT`). Nothing ran.
 * Put the keys under one hash tag (`{user:1}:a`, `{user:1}:b`) or send one command per key.
 */
export class FerriteCrossSlotError extends FerriteReplyError {
  static override readonly brand: string = 'FerriteCrossSlotError';
}

/**
 * A server error reply as the Ferrite error every transport rejects with: `CROSSSLOT` as
 * {@link FerriteCrossSlotError}, anything else as {@link FerriteReplyError}.
 */
export function replyErrorFor(command: string, serverMessage: string): FerriteReplyError {
  return /^CROSSSLOT /.test(serverMessage) ? new FerriteCrossSlotError(command, serverMessage) : new FerriteReplyError(command, serverMessage);
}

/** Bad input, rejected before anything was sent. */
export class FerriteValidationError extends FerriteError {
  static override readonly brand: string = 'FerriteValidationError';
  /** The argument or option at fault (`vector`, `topK`, `name`, …). */
  readonly field: string;

  constructor(field: string, message: string, options?: FerriteErrorOptions) {
    // A safety net for callers that quote a value whole: the message stays readable in a log.
    super('VALIDATION', `invalid ${truncateForMessage(field)}: ${message.length > 4 * MAX_QUOTED_CHARS ? truncateForMessage(message) : message}`, options);
    this.field = field;
  }
}

/** No reply within the deadline. Unless `maybeApplied` is false, the command may have been applied. */
export class FerriteTimeoutError extends FerriteError {
  static override readonly brand: string = 'FerriteTimeoutError';
  readonly command: string;
  readonly timeoutMs: number;
  /** Whether the server may have run the command; `false` only when it provably never left the client. Default `true`. */
  readonly maybeApplied: boolean;

  constructor(command: string, timeoutMs: number, options?: MaybeAppliedErrorOptions) {
    const name = truncateForMessage(command.toUpperCase());
    super('TIMEOUT', `${name} timed out after ${timeoutMs} ms`, options);
    this.command = name;
    this.timeoutMs = timeoutMs;
    this.maybeApplied = options?.maybeApplied ?? true;
  }
}

/** The connection failed, closed, or was never established. */
export class FerriteConnectionError extends FerriteError {
  static override readonly brand: string = 'FerriteConnectionError';
  /** Whether the server may have run the command; `false` only when it provably never left the client. Default `true`. */
  readonly maybeApplied: boolean;

  constructor(message: string, options?: MaybeAppliedErrorOptions) {
    super('CONNECTION', message, options);
    this.maybeApplied = options?.maybeApplied ?? true;
  }
}

/** The server does not implement a command (an older Ferrite, or plain Redis). */
export class FerriteUnsupportedError extends FerriteError {
  static override readonly brand: string = 'FerriteUnsupportedError';
  readonly command: string;

  constructor(command: string, options?: FerriteErrorOptions) {
    const name = truncateForMessage(command.toUpperCase());
    super('UNSUPPORTED', `this server does not support ${name}`, options);
    this.command = name;
  }
}

/**
 * A defect, never retried: a reply of a shape {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md | the wire contract}
 * does not allow (the server does not follow the contract), or an exception a transport threw
 * that is not a Ferrite error (a bug in the transport or its driver).
 */
export class FerriteProtocolError extends FerriteError {
  static override readonly brand: string = 'FerriteProtocolError';
  /** Whether the server may have run the command. Default `true`: the call had started. */
  readonly maybeApplied: boolean;

  constructor(message: string, options?: MaybeAppliedErrorOptions) {
    super('PROTOCOL', `unexpected reply: ${message}`, options);
    this.maybeApplied = options?.maybeApplied ?? true;
  }
}

/**
 * Anything a transport or driver rejected with, as a Ferrite error: a Ferrite error as it is;
 * anything else (a `TypeError` from a transport) is a defect, a {@link FerriteProtocolError}
 * that is never retried and may have run. `source` names where it came from (`ioredis`).
 */
export function asFerriteError(error: unknown, source?: string): FerriteError {
  if (isFerriteError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FerriteProtocolError(source === undefined ? message : `${source}: ${message}`, { cause: error, maybeApplied: true });
}

/** The caller's AbortSignal fired. */
export class FerriteAbortError extends FerriteError {
  static override readonly brand: string = 'FerriteAbortError';
  /** Whether the server may have run the command; `false` only when it provably never left the client. Default `false`. */
  readonly maybeApplied: boolean;

  constructor(message = 'the operation was aborted', options?: MaybeAppliedErrorOptions) {
    super('ABORTED', message, options);
    this.maybeApplied = options?.maybeApplied ?? false;
  }
}

const PHRASES: ReadonlyArray<readonly [ReplyErrorKind, (text: string) => boolean]> = [
  ['wrongtype', (t) => t.startsWith('wrongtype')],
  ['noauth', (t) => t.startsWith('noauth')],
  ['wrongpass', (t) => t.startsWith('wrongpass')],
  ['unknown-index', (t) => t.includes('unknown index') || t.includes('index not found')],
  ['index-exists', (t) => t.includes('index already exists')],
  ['dimension-mismatch', (t) => t.includes('dimension mismatch')],
  ['filter-syntax', (t) => t.includes('syntax error in filter')],
  ['cdc-position-expired', (t) => t.includes('cdc position expired')],
  ['no-such-subscription', (t) => t.includes('no such cdc subscription')],
  ['unknown-command', (t) => t.includes('unknown command')],
  ['crossslot', (t) => t.startsWith('crossslot ')],
];

/** Classifies a server error text by the stable phrases of {@link https://github.com/ferrite-sdk/ferrite-ts/blob/main/docs/protocol.md#classifying-errors | the wire contract}. */
export function classifyReplyError(message: string): ReplyErrorKind {
  const text = message.toLowerCase();
  for (const [kind, matches] of PHRASES) if (matches(text)) return kind;
  return 'other';
}

/** Whether `e` is any Ferrite error, from any copy of the package. */
export const isFerriteError = (e: unknown): e is FerriteError => hasBrand(e, FerriteError.brand);
/** Whether `e` is an error reply from the server, optionally of one `kind`. */
export const isReplyError = (e: unknown, kind?: ReplyErrorKind): e is FerriteReplyError =>
  hasBrand(e, FerriteReplyError.brand) && (kind === undefined || (e as FerriteReplyError).kind === kind);
/** Whether `e` is a `FerriteCrossSlotError` (a multi-key command whose keys live on different cluster slots). */
export const isCrossSlotError = (e: unknown): e is FerriteCrossSlotError => hasBrand(e, FerriteCrossSlotError.brand);
/** Whether `e` is bad input rejected before sending. */
export const isValidationError = (e: unknown): e is FerriteValidationError =>
  hasBrand(e, FerriteValidationError.brand);
/**
 * A plugin's error that wraps a timeout, a lost connection or an abort (a CRDT increment whose
 * outcome is unknown) carries that code and `maybeApplied`: it answers the matching guard too.
 */
function wraps(e: unknown, code: FerriteErrorCode): boolean {
  return isFerriteError(e) && e.code === code && typeof (e as { maybeApplied?: unknown }).maybeApplied === 'boolean';
}

/** Whether `e` is a missed deadline (the command may have been applied), or a plugin error wrapping one. */
export const isTimeoutError = (e: unknown): e is FerriteTimeoutError => hasBrand(e, FerriteTimeoutError.brand) || wraps(e, 'TIMEOUT');
/** Whether `e` is a failed, closed or never-established connection, or a plugin error wrapping one. */
export const isConnectionError = (e: unknown): e is FerriteConnectionError =>
  hasBrand(e, FerriteConnectionError.brand) || wraps(e, 'CONNECTION');
/** Whether `e` says the server lacks a command. */
export const isUnsupportedError = (e: unknown): e is FerriteUnsupportedError =>
  hasBrand(e, FerriteUnsupportedError.brand);
/** Whether `e` comes from the caller's AbortSignal, or is a plugin error wrapping such an abort. */
export const isAbortError = (e: unknown): e is FerriteAbortError => hasBrand(e, FerriteAbortError.brand) || wraps(e, 'ABORTED');

/**
 * Whether the command behind a failed call may have run on the server: `false` only when it
 * provably never left the client, `true` when it may have (a timeout, a lost connection, an abort
 * after it was written, a defect), `undefined` for an error that does not say (a server's error
 * reply, bad input caught before sending, anything that is not a Ferrite error).
 */
export function isMaybeApplied(error: unknown): boolean | undefined {
  if (!isFerriteError(error)) return undefined;
  const flag = (error as { maybeApplied?: unknown }).maybeApplied;
  return typeof flag === 'boolean' ? flag : undefined;
}
