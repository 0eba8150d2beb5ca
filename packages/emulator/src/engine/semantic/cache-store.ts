import { cosineSimilarity } from './similarity.js';

export interface SemanticEntry {
  readonly value: Buffer;
  readonly embedding: Float32Array;
  /** Milliseconds since the epoch; undefined = never expires. */
  readonly expiresAt: number | undefined;
  /** Order of SET across the database, so ties go to the most recently set entry. */
  readonly sequence: number;
}

export interface SemanticHit {
  readonly entry: SemanticEntry;
  readonly similarity: number;
}

export interface SemanticStats {
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
}

function isLive(entry: SemanticEntry, now: number): boolean {
  return entry.expiresAt === undefined || now < entry.expiresAt;
}

/** One namespace: entries keyed on the exact bytes of their text (latin1), and its GET counters. */
export class SemanticNamespace {
  readonly entries = new Map<string, SemanticEntry>();
  hits = 0;
  misses = 0;

  /** Drops expired entries, so counts and lookups only ever see live ones. */
  purge(now: number): void {
    for (const [text, entry] of this.entries) if (!isLive(entry, now)) this.entries.delete(text);
  }

  /** A copy for a cluster replica (entries are never mutated, so they are shared). */
  clone(): SemanticNamespace {
    const copy = new SemanticNamespace();
    for (const [text, entry] of this.entries) copy.entries.set(text, entry);
    copy.hits = this.hits;
    copy.misses = this.misses;
    return copy;
  }
}

/** The semantic cache of one database, created lazily through `db.extension`. */
export class SemanticCacheStore {
  private readonly namespaces = new Map<string, SemanticNamespace>();
  private sequence = 0;

  private namespace(name: string): SemanticNamespace {
    let namespace = this.namespaces.get(name);
    if (namespace === undefined) {
      namespace = new SemanticNamespace();
      this.namespaces.set(name, namespace);
    }
    return namespace;
  }

  /** Names of the namespaces that hold state (entries or counters). */
  names(): string[] {
    return [...this.namespaces.keys()];
  }

  has(name: string): boolean {
    return this.namespaces.has(name);
  }

  /** Removes the namespace and hands it over whole, counters included (cluster slot migration). */
  detach(name: string): SemanticNamespace | undefined {
    const space = this.namespaces.get(name);
    this.namespaces.delete(name);
    return space;
  }

  /** Takes in a namespace moved from another node, replacing any of the same name. */
  attach(name: string, space: SemanticNamespace): void {
    this.namespaces.set(name, space);
    // Ties go to the most recent SET: later local SETs must still rank after the moved entries.
    for (const entry of space.entries.values()) if (entry.sequence > this.sequence) this.sequence = entry.sequence;
  }

  /** Replaces an entry with the same exact text, expiry included. */
  set(namespace: string, text: string, value: Buffer, embedding: Float32Array, expiresAt: number | undefined): void {
    this.namespace(namespace).entries.set(text, { value, embedding, expiresAt, sequence: ++this.sequence });
  }

  /**
   * The most similar live entry with similarity ≥ threshold (ties: the most recently set), and
   * counts the GET as a hit or a miss.
   */
  lookup(namespace: string, query: Float32Array, threshold: number, now: number): SemanticHit | undefined {
    const space = this.namespace(namespace);
    space.purge(now);
    let best: SemanticHit | undefined;
    for (const entry of space.entries.values()) {
      const similarity = cosineSimilarity(query, entry.embedding);
      if (similarity < threshold) continue;
      if (best === undefined || similarity > best.similarity || (similarity === best.similarity && entry.sequence > best.entry.sequence)) {
        best = { entry, similarity };
      }
    }
    if (best === undefined) space.misses++;
    else space.hits++;
    return best;
  }

  /** Removes one live entry; returns whether there was one. */
  delete(namespace: string, text: string, now: number): boolean {
    const space = this.namespaces.get(namespace);
    if (space === undefined) return false;
    space.purge(now);
    return space.entries.delete(text);
  }

  /** Removes the whole namespace, counters included; returns how many live entries it held. */
  drop(namespace: string, now: number): number {
    const space = this.namespaces.get(namespace);
    if (space === undefined) return 0;
    space.purge(now);
    this.namespaces.delete(namespace);
    return space.entries.size;
  }

  stats(namespace: string, now: number): SemanticStats {
    const space = this.namespaces.get(namespace);
    if (space === undefined) return { entries: 0, hits: 0, misses: 0 };
    space.purge(now);
    return { entries: space.entries.size, hits: space.hits, misses: space.misses };
  }
}
