import { FerriteUnsupportedError, type FerriteErrorOptions } from '../errors.js';

/**
 * The server replied, but the driver underneath cannot hand the value over exactly (a driver that
 * reads every integer into a JavaScript `number` rounds those beyond ±(2^53 − 1)). The command
 * ran: a write was applied. The transport rejects rather than return a rounded number; read the
 * value another way (a `GET` of the key gives its exact text) or use a driver that reads it exactly.
 */
export class FerriteInexactReplyError extends FerriteUnsupportedError {
  static override readonly brand: string = 'FerriteInexactReplyError';
  /** The transport (`valkey-glide`) whose driver cannot read the value. */
  readonly transport: string;

  constructor(command: string, transport: string, detail: string, options?: FerriteErrorOptions) {
    super(command, options);
    this.transport = transport;
    this.message = `${this.command} ran, but the ${transport} transport cannot read its reply exactly: ${detail}`;
  }
}

/**
 * An integer the driver decoded into a `number`, checked: a value beyond ±(2^53 − 1) may have been
 * rounded (every 64-bit integer from 2^53 up lands on an unsafe `number`, so the check misses
 * none), and rejects with a {@link FerriteInexactReplyError} instead.
 */
export function exactInteger(value: number, command: string, transport: string): number {
  if (Number.isSafeInteger(value)) return value;
  throw new FerriteInexactReplyError(command, transport, `an integer beyond ±(2^53 − 1) reached it as the rounded number ${value}`);
}
