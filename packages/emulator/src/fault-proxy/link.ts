import { connect, type Socket } from 'node:net';
import { Pipe, type Faults } from './pipe.js';
import { RespScanner } from './resp-scanner.js';
import { resetSocket } from './socket-reset.js';

/** What a connection needs from the proxy that owns it. */
export interface LinkControls {
  readonly faults: Faults;
  /** Consumes one pending `dropNextReply()`, if any. */
  takeDropRequest(): boolean;
}

/** How `cut()` ends a connection: an orderly close (`fin`) or a reset (`rst`). */
export type CutMode = 'fin' | 'rst';

/**
 * One client connection and its connection to the target, with a pipe each way.
 *
 * To drop "the reply to this request" it counts complete commands going up and complete replies
 * coming down (RESP framing only; payloads are skipped, not buffered): the reply to the n-th
 * command is the n-th reply, RESP3 pushes excepted.
 */
export class Link {
  readonly upstream: Socket;
  /** Resolves when both sockets are closed. */
  readonly closed: Promise<void>;
  private clientOpen = true;
  private readonly up: Pipe;
  private readonly down: Pipe;
  private readonly requests = new RespScanner('request');
  private readonly replies = new RespScanner('reply');
  private commandsSent = 0;
  private repliesSeen = 0;
  /** Indexes of the replies to drop, ascending. */
  private readonly dropIndexes: number[] = [];

  constructor(
    readonly client: Socket,
    target: { host: string; port: number },
    private readonly controls: LinkControls,
  ) {
    // Half-open so a FIN is passed on in order, after the bytes still queued, instead of answered at once.
    this.upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    for (const socket of [client, this.upstream]) {
      socket.setNoDelay(true); // Nagle would merge the byte-by-byte writes of fragment()
      socket.on('error', () => {}); // peers vanish; the 'close' handlers below clean up
    }
    this.up = new Pipe(client, this.upstream, controls.faults, (chunk, forwarded) => this.onRequest(chunk, forwarded));
    this.down = new Pipe(this.upstream, client, controls.faults, (chunk) => this.onReply(chunk));
    client.on('data', (chunk: Buffer) => this.up.push(chunk)).on('end', () => this.up.end());
    this.upstream.on('data', (chunk: Buffer) => this.down.push(chunk)).on('end', () => this.down.end());
    this.upstream.once('connect', () => this.up.start());
    this.down.start();

    const clientClosed = new Promise<void>((resolve) =>
      client.once('close', (hadError) => {
        this.clientOpen = false;
        this.down.stop();
        if (hadError) this.abort();
        resolve();
      }),
    );
    const upstreamClosed = new Promise<void>((resolve) =>
      this.upstream.once('close', (hadError) => {
        this.up.stop();
        // A target that refused or reset the connection looks the same to the client.
        if (hadError) this.abort();
        resolve();
      }),
    );
    this.closed = Promise.all([clientClosed, upstreamClosed]).then(() => undefined);
  }

  /** The client side is still open. */
  get open(): boolean {
    return this.clientOpen;
  }

  /** Ends both sides: `fin` gracefully (queued bytes are dropped, written ones flushed), `rst` with a reset. */
  cut(mode: CutMode): void {
    this.up.stop();
    this.down.stop();
    if (mode === 'rst') return this.abort();
    for (const socket of [this.client, this.upstream]) if (!socket.destroyed) socket.destroySoon();
  }

  /** Closes both sockets at once. */
  destroy(): void {
    this.up.stop();
    this.down.stop();
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Forgets replies waiting to be dropped. */
  forgetDrops(): void {
    this.dropIndexes.length = 0;
  }

  private abort(): void {
    this.up.stop();
    this.down.stop();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  private onRequest(chunk: Buffer, forwarded: boolean): readonly Buffer[] {
    // The chunk starts (or continues) command number `commandsSent`: its reply is the one to drop.
    if (forwarded && this.controls.takeDropRequest()) this.dropIndexes.push(this.commandsSent);
    for (const segment of this.requests.scan(chunk)) {
      if (forwarded && segment.complete && segment.kind === 'message') this.commandsSent++;
    }
    return [chunk];
  }

  private onReply(chunk: Buffer): readonly Buffer[] {
    // Neighbouring kept ranges are re-joined so the client sees the chunking it would see without the proxy.
    const kept: Array<[start: number, end: number]> = [];
    const keep = (start: number, end: number) => {
      const last = kept.at(-1);
      if (last && last[1] === start) last[1] = end;
      else kept.push([start, end]);
    };
    for (const segment of this.replies.scan(chunk)) {
      if (segment.kind === 'unframed') {
        // Not RESP: the best meaning of "the reply" left is the next chunk from the target.
        if (this.dropIndexes.shift() === undefined) keep(segment.start, segment.end);
        continue;
      }
      if (segment.kind !== 'message') {
        keep(segment.start, segment.end);
        continue;
      }
      while (this.dropIndexes[0] !== undefined && this.dropIndexes[0] < this.repliesSeen) this.dropIndexes.shift();
      const dropping = this.dropIndexes[0] === this.repliesSeen;
      if (!dropping) keep(segment.start, segment.end);
      if (segment.complete) {
        if (dropping) this.dropIndexes.shift();
        this.repliesSeen++;
      }
    }
    return kept.map(([start, end]) => chunk.subarray(start, end));
  }
}
