import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { assertName, FerriteValidationError } from '@ferrite/core';
import type { HistoryMode } from './key.js';

/** How long a lookup may hold a call up before the call goes to the model without the cache. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 250;
/**
 * Lifetime of stored answers when none is given: one day. Answers go stale (facts change, models
 * are upgraded) and every distinct prompt adds an entry, so the cache must forget by itself; a day
 * keeps the questions people repeat within a day, which is where the savings are.
 */
export const DEFAULT_TTL_SECONDS = 86_400;
/** The namespace prefix when none is given. */
export const DEFAULT_NAMESPACE = 'ai-sdk';

/** Options of {@link semanticCacheMiddleware}; every one is optional. */
export interface SemanticCacheMiddlewareOptions {
  /**
   * Prefix of the semantic namespaces used: one namespace per provider, model, system prompt and
   * settings combination, `<namespace>:<digest>`. Default `ai-sdk`.
   */
  readonly namespace?: string;
  /** Minimum similarity for a hit, 0 to 1. Default: the semantic plugin's default (0.85 unless set). */
  readonly threshold?: number;
  /** Lifetime of stored answers in whole seconds; `null` for none. Default 86400 (one day). */
  readonly ttl?: number | null;
  /**
   * Budget of a lookup in milliseconds: a slower lookup counts as failed (see `failOpen`), so an
   * unreachable cache costs a call at most this much. Default 250; `Infinity` for the client's deadline.
   */
  readonly lookupTimeout?: number;
  /**
   * `true` (default): a lookup that fails or runs out of `lookupTimeout` is a miss and the call
   * goes to the model. `false`: it rejects the call (or errors the stream). A failed store never
   * reaches the caller either way.
   */
  readonly failOpen?: boolean;
  /**
   * How earlier turns of a conversation count. `'skip'` (default): a follow-up turn (a prompt with
   * earlier user, assistant or tool messages) goes to the model uncached. `'ignore'`: only the last
   * user message is compared, whatever came before. `'compare'`: the earlier messages are part of
   * the compared text, so an answer is reused only for a similar conversation.
   */
  readonly history?: HistoryMode;
  /**
   * The text compared for similarity. Default: the text of the last message when it is a user
   * message. Returning `undefined` (or blank text) sends the call to the model uncached.
   */
  readonly getText?: (params: LanguageModelV4CallOptions) => string | undefined;
  /**
   * Whether a call may be answered from, and stored in, the cache. Default: every call except
   * those that offer tools or carry files (their answers depend on more than the text).
   */
  readonly shouldCache?: (params: LanguageModelV4CallOptions) => boolean;
  /** Told of every cache failure: lookups that failed or timed out, stores that failed. */
  readonly onError?: (error: unknown) => void;
}

const HISTORY_MODES: readonly HistoryMode[] = ['skip', 'ignore', 'compare'];

/** Rejects bad options with a `FerriteValidationError` when the middleware is made. */
export function validateOptions(options: SemanticCacheMiddlewareOptions): void {
  if (options.namespace !== undefined) assertName(options.namespace, 'namespace');
  const { threshold, ttl, lookupTimeout, failOpen, history } = options;
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) {
    throw new FerriteValidationError('threshold', `expected a number from 0 to 1, got ${String(threshold)}`);
  }
  if (ttl !== undefined && ttl !== null && !(typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 1)) {
    throw new FerriteValidationError('ttl', `expected a positive whole number of seconds or null, got ${String(ttl)}`);
  }
  if (lookupTimeout !== undefined && !(typeof lookupTimeout === 'number' && lookupTimeout > 0)) {
    throw new FerriteValidationError('lookupTimeout', `expected a positive number of milliseconds or Infinity, got ${String(lookupTimeout)}`);
  }
  if (failOpen !== undefined && typeof failOpen !== 'boolean') throw new FerriteValidationError('failOpen', `expected a boolean, got ${typeof failOpen}`);
  if (history !== undefined && !HISTORY_MODES.includes(history)) {
    throw new FerriteValidationError('history', `expected one of ${HISTORY_MODES.join(', ')}, got ${String(history)}`);
  }
}
