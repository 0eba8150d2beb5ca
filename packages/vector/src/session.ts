import type { CommandDefinition, PluginContext, PreparedCommand, Settled } from '@ferrite/core';
import { VectorDimensionMismatchError, VectorIndexNotFoundError, toVectorError } from './errors.js';

/**
 * Runs vector commands for one client: maps server errors to the typed vector errors and keeps
 * the dimension of every index this client has learned about.
 *
 * Dimensions are learned from `createIndex`, `ensureIndex`, `info` and from the server's own
 * "dimension mismatch" errors, and forgotten on `dropIndex` and on "Unknown index". They let a
 * wrong-length vector be rejected before it is sent. They are per client (shared by its views
 * and `extend()`ed clients) and never expire: if another client drops an index and recreates it
 * with another dimension, call `info(name)` to refresh.
 */
export class VectorSession {
  readonly #context: PluginContext;
  readonly #dimensions: Map<string, number>;

  /** `dimensions`: what the client family has learned so far, shared with its other sessions. */
  constructor(context: PluginContext, dimensions: Map<string, number> = new Map()) {
    this.#context = context;
    this.#dimensions = dimensions;
  }

  /** The context of the client or view, for what is not a vector command (the cluster's nodes). */
  get context(): PluginContext {
    return this.#context;
  }

  dimensionOf(index: string): number | undefined {
    return this.#dimensions.get(index);
  }

  rememberDimension(index: string, dimension: number): void {
    this.#dimensions.set(index, dimension);
  }

  forgetDimension(index: string): void {
    this.#dimensions.delete(index);
  }

  async call<Args extends readonly unknown[], Result>(
    index: string | null,
    command: CommandDefinition<Args, Result>,
    ...args: Args
  ): Promise<Result> {
    try {
      return await this.#context.call(command, ...args);
    } catch (error) {
      throw this.observe(index, error);
    }
  }

  /** Like {@link call}, on one node (an id from `context.nodes()`), unrouted. */
  async callOn<Args extends readonly unknown[], Result>(nodeId: string, command: CommandDefinition<Args, Result>, ...args: Args): Promise<Result> {
    try {
      return await this.#context.onNode(nodeId).call(command, ...args);
    } catch (error) {
      throw this.observe(null, error);
    }
  }

  async batch<Result>(index: string, commands: readonly PreparedCommand<Result>[]): Promise<Settled<Result>[]> {
    const settled = await this.#context.batch(commands);
    return settled.map((entry) => (entry.ok ? entry : { ok: false, error: this.observe(index, entry.error) as typeof entry.error }));
  }

  /** Maps an error to its typed class and learns what it says about the index. */
  observe(index: string | null, error: unknown): unknown {
    const typed = toVectorError(error);
    if (index !== null) {
      if (typed instanceof VectorIndexNotFoundError) this.forgetDimension(index);
      if (typed instanceof VectorDimensionMismatchError && typed.expected !== undefined) {
        this.rememberDimension(index, typed.expected);
      }
    }
    return typed;
  }
}
