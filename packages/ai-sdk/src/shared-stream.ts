import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';

type Part = LanguageModelV4StreamPart;
type State = { readonly kind: 'open' } | { readonly kind: 'closed' } | { readonly kind: 'failed'; readonly error: unknown };

/**
 * One model stream read once and handed to every caller that asked for it while it ran. The
 * parts are kept as they arrive; each caller gets a stream of its own that replays what came
 * before it joined, then follows live. A caller that cancels its stream, or whose signal aborts,
 * detaches alone; the model's stream is cancelled (and `abort` called) once every caller has gone.
 */
export class SharedStream {
  readonly #parts: Part[] = [];
  readonly #wakeups = new Set<() => void>();
  readonly #abort: () => void;
  #reader: ReadableStreamDefaultReader<Part> | undefined;
  #state: State = { kind: 'open' };
  #callers = 0;
  /** Settles with the parts once the model's stream ended (cancelled included), with `undefined` when it failed. */
  readonly finished: Promise<readonly Part[] | undefined>;

  /** `source` is the model's stream, still on its way: callers may subscribe before it arrives. */
  constructor(source: Promise<ReadableStream<Part>>, abort: () => void) {
    this.#abort = abort;
    this.finished = this.#pump(source);
  }

  async #pump(source: Promise<ReadableStream<Part>>): Promise<readonly Part[] | undefined> {
    try {
      const reader = (await source).getReader();
      this.#reader = reader;
      // Everyone gave up before the model answered.
      if (this.#callers === 0) await reader.cancel();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#parts.push(value);
        this.#wake();
      }
      this.#state = { kind: 'closed' };
      return this.#parts;
    } catch (error) {
      this.#state = { kind: 'failed', error };
      return undefined;
    } finally {
      this.#wake();
    }
  }

  #wake(): void {
    for (const wakeup of [...this.#wakeups]) wakeup();
  }

  #leave(): void {
    if (--this.#callers > 0 || this.#state.kind !== 'open') return;
    this.#abort();
    void this.#reader?.cancel().catch(() => {});
  }

  /** A stream of every part, from the first; `signal` aborting errors it with the signal's reason and detaches this caller. */
  subscribe(signal: AbortSignal | undefined): ReadableStream<Part> {
    this.#callers++;
    let next = 0;
    let left = false;
    let onAbort: (() => void) | undefined;
    const leave = () => {
      if (left) return;
      left = true;
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.#leave();
    };
    return new ReadableStream<Part>({
      start: (controller) => {
        if (signal === undefined) return;
        onAbort = () => {
          controller.error(signal.reason);
          leave();
          this.#wake();
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      },
      pull: async (controller) => {
        while (!left) {
          if (next < this.#parts.length) {
            controller.enqueue(this.#parts[next++] as Part);
            return;
          }
          const state = this.#state;
          if (state.kind === 'closed') {
            controller.close();
            leave();
            return;
          }
          if (state.kind === 'failed') {
            controller.error(state.error);
            leave();
            return;
          }
          await new Promise<void>((resolve) => {
            const wakeup = () => {
              this.#wakeups.delete(wakeup);
              resolve();
            };
            this.#wakeups.add(wakeup);
          });
        }
      },
      cancel: () => leave(),
    });
  }
}
