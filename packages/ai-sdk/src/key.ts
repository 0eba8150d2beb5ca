import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Message } from '@ai-sdk/provider';
import { createHash } from 'node:crypto';

/** Which model operation a cached entry answers: generated results and stream parts are stored apart. */
export type CacheMode = 'generate' | 'stream';

/** The text of the last message when it is the user's: the part of the prompt that may be paraphrased. */
export function lastUserText(params: LanguageModelV4CallOptions): string | undefined {
  const last = params.prompt.at(-1);
  if (last?.role !== 'user') return undefined;
  const text = last.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  return text.trim().length > 0 ? text : undefined;
}

/** Whether the call offers tools or carries files anywhere in its prompt. */
export function usesToolsOrFiles(params: LanguageModelV4CallOptions): boolean {
  if ((params.tools?.length ?? 0) > 0) return true;
  return params.prompt.some((message) => message.role !== 'system' && message.content.some((part) => part.type === 'file'));
}

/** JSON with sorted keys, binary data as a digest, so equal inputs always give equal text. */
function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return { $bytes: createHash('sha256').update(value).digest('hex') };
  if (value instanceof URL) return { $url: value.href };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(canonical);
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

/**
 * How earlier turns of a conversation count. `'skip'`: a call that carries earlier user,
 * assistant or tool messages goes to the model uncached. `'ignore'`: only the last user message
 * is compared. `'compare'`: the earlier messages are compared too, as part of the text.
 */
export type HistoryMode = 'skip' | 'ignore' | 'compare';

/** Whether the prompt carries earlier turns: anything besides system messages and the last message. */
export function hasHistory(params: LanguageModelV4CallOptions): boolean {
  return params.prompt.slice(0, -1).some((message) => message.role !== 'system');
}

/** One line per earlier message (`role: text`), tool calls and results as canonical JSON. */
export function historyText(params: LanguageModelV4CallOptions): string {
  return params.prompt
    .slice(0, -1)
    .filter((message) => message.role !== 'system')
    .map((message) => {
      const parts = typeof message.content === 'string' ? [message.content] : message.content.map((part) => (part.type === 'text' ? part.text : JSON.stringify(canonical(part))));
      return `${message.role}: ${parts.join('\n')}`;
    })
    .join('\n');
}

/** The last user message without its text parts (files given to a `shouldCache` that allows them). */
function lastMessageRest(message: LanguageModelV4Message | undefined): unknown {
  if (message?.role !== 'user') return message;
  return { ...message, content: message.content.filter((part) => part.type !== 'text') };
}

/**
 * Everything about a call that changes its answer, except the conversation: provider, model,
 * system prompt, the non-text parts of the last message and the settings. Two calls share cached
 * answers only when all of these are equal, so the namespace is `<namespace>:<digest of these>`.
 * Earlier turns are left out on purpose: with them every turn of every conversation would get a
 * namespace of its own (see `HistoryMode` for how they count instead).
 */
export function scopeOf(namespace: string, mode: CacheMode, model: Pick<LanguageModelV4, 'provider' | 'modelId'>, params: LanguageModelV4CallOptions): string {
  const scope = {
    format: 2,
    mode,
    provider: model.provider,
    modelId: model.modelId,
    system: params.prompt.filter((message) => message.role === 'system'),
    last: lastMessageRest(params.prompt.at(-1)),
    settings: {
      maxOutputTokens: params.maxOutputTokens,
      temperature: params.temperature,
      stopSequences: params.stopSequences,
      topP: params.topP,
      topK: params.topK,
      presencePenalty: params.presencePenalty,
      frequencyPenalty: params.frequencyPenalty,
      responseFormat: params.responseFormat,
      seed: params.seed,
      tools: params.tools,
      toolChoice: params.toolChoice,
      reasoning: params.reasoning,
      providerOptions: params.providerOptions,
    },
  };
  const digest = createHash('sha256').update(JSON.stringify(canonical(scope))).digest('base64url');
  return `${namespace}:${digest}`;
}
