import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** The faults in force, read live by every pipe so a change applies to open connections at once. */
export interface Faults {
  delayMs: number;
  fragment: boolean;
  blackhole: boolean;
}

/**
 * Decides what to forward of a chunk; sees every chunk in order, swallowed ones included
 * (`forwarded` false), so stream parsers stay in step.
 */
export type ChunkFilter = (chunk: Buffer, forwarded: boolean) => readonly Buffer[];

interface Queued {
  readonly chunk: Buffer;
  readonly dueAt: number;
  /** Arrived during a blackhole: such bytes are lost, not kept for later. */
  readonly swallow: boolean;
}

const END = Symbol('end');
/** Stop reading from the source while this much is waiting, so a slow or delayed peer cannot grow memory unbounded. */
const HIGH_WATER = 1024 * 1024;
/** setTimeout fires at once for longer waits (with a warning); longer delays sleep in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One direction of a proxied connection. Chunks go through a queue drained one at a time, so
 * delays and byte-by-byte writes never reorder the stream.
 */
export class Pipe {
  private readonly queue: Array<Queued | typeof END> = [];
  private queuedBytes = 0;
  private open = false;
  private draining = false;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly source: Socket,
    private readonly destination: Socket,
    private readonly faults: Faults,
    private readonly filter: ChunkFilter,
  ) {}

  /** Starts forwarding (the destination is connected). */
  start(): void {
    this.open = true;
    void this.drain();
  }

  /** Forwarding stops for good; whatever is queued is dropped. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.wake?.();
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.queue.push({ chunk, dueAt: performance.now() + this.faults.delayMs, swallow: this.faults.blackhole });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > HIGH_WATER) this.source.pause();
    void this.drain();
  }

  /** The source ended: end the destination once everything before has been forwarded. */
  end(): void {
    if (this.stopped) return;
    this.queue.push(END);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.open) return;
    this.draining = true;
    try {
      for (let item = this.queue.shift(); item && !this.stopped; item = this.queue.shift()) {
        if (item === END) {
          this.endDestination();
          continue;
        }
        await this.until(item.dueAt);
        if (this.stopped) return;
        this.queuedBytes -= item.chunk.length;
        const forwarded = !item.swallow && !this.faults.blackhole;
        const pieces = this.filter(item.chunk, forwarded);
        if (forwarded) for (const piece of pieces) await this.write(piece);
        if (this.queuedBytes <= HIGH_WATER && this.source.isPaused()) this.source.resume();
      }
    } finally {
      this.draining = false;
    }
  }

  private endDestination(): void {
    if (this.destination.destroyed) return;
    // Once the source is gone nobody reads the other way, so do not wait for the peer's FIN.
    if (this.source.destroyed) this.destination.destroySoon();
    else this.destination.end();
  }

  private async write(piece: Buffer): Promise<void> {
    if (this.destination.destroyed) return; // its 'close' has passed: waiting for 'drain' would never end
    if (!this.faults.fragment) {
      if (!this.destination.write(piece)) await this.writable();
      return;
    }
    for (let i = 0; i < piece.length && !this.stopped && !this.destination.destroyed; i++) {
      await new Promise<void>((resolve) => this.destination.write(piece.subarray(i, i + 1), () => resolve()));
      // Two setImmediate turns always span a poll phase, so even a peer in this process reads
      // each byte alone; one turn taken from the poll phase would let two bytes pile up.
      await nextTurn();
      await nextTurn();
    }
  }

  private writable(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.destination.off('drain', done).off('close', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.destination.once('drain', done).once('close', done);
    });
  }

  /** Sleeps until `performance.now()` reaches `dueAt`; timers may fire a little early, so re-check. */
  private async until(dueAt: number): Promise<void> {
    for (let left = dueAt - performance.now(); left > 0 && !this.stopped; left = dueAt - performance.now()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(Math.ceil(left), MAX_TIMER_MS));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = () => {
          this.wake = undefined;
          done();
        };
      });
    }
  }
}
