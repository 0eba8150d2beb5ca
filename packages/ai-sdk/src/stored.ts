import type { LanguageModelV4GenerateResult, LanguageModelV4StreamPart, LanguageModelV4Usage, SharedV4ProviderMetadata } from '@ai-sdk/provider';

/** What a generate hit returns, less what is rebuilt on every hit (usage, Ferrite's metadata). */
export type StoredGenerate = Pick<LanguageModelV4GenerateResult, 'content' | 'finishReason' | 'providerMetadata' | 'warnings' | 'structuredOutputText'> & {
  readonly response?: { readonly id?: string; readonly timestamp?: Date; readonly modelId?: string };
};

/** The stored value: a versioned JSON document, so an older or foreign entry reads as a miss. */
type Stored = { readonly format: 1; readonly generate: StoredGenerate } | { readonly format: 1; readonly parts: LanguageModelV4StreamPart[] };

/** Thrown by `encode` for values JSON cannot carry (binary file contents): such results are not stored. */
class NotStorable extends Error {}

export function encode(value: Stored): string | undefined {
  try {
    return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
      const original = this[key];
      if (original instanceof Date) return { $date: original.toISOString() };
      if (original instanceof Uint8Array || original instanceof URL) throw new NotStorable();
      return v;
    });
  } catch (error) {
    if (error instanceof NotStorable) return undefined;
    throw error;
  }
}

function decode(text: string): Stored | undefined {
  try {
    const value = JSON.parse(text, (_key, v: unknown) =>
      v !== null && typeof v === 'object' && typeof (v as { $date?: unknown }).$date === 'string' ? new Date((v as { $date: string }).$date) : v,
    ) as Partial<Stored> | null;
    return value?.format === 1 ? (value as Stored) : undefined;
  } catch {
    return undefined;
  }
}

export function decodeGenerate(text: string): StoredGenerate | undefined {
  const stored = decode(text);
  return stored && 'generate' in stored && Array.isArray(stored.generate.content) ? stored.generate : undefined;
}

export function decodeParts(text: string): LanguageModelV4StreamPart[] | undefined {
  const stored = decode(text);
  return stored && 'parts' in stored && Array.isArray(stored.parts) ? stored.parts : undefined;
}

/** A cache hit spent no tokens. */
export function zeroUsage(): LanguageModelV4Usage {
  return {
    inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 0, text: 0, reasoning: 0 },
  };
}

/** The provider metadata of a hit: the stored one, plus `ferrite: { cacheHit: true, similarity }`. */
export function hitMetadata(stored: SharedV4ProviderMetadata | undefined, similarity: number): SharedV4ProviderMetadata {
  return { ...stored, ferrite: { cacheHit: true, similarity } };
}
