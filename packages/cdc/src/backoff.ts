import { backoffDelay } from '@ferrite/core/transport';

/** First reconnect waits about this long; each further failure doubles it. */
const FIRST_DELAY_MS = 25;
/** Reconnect delays never exceed this, so a feed is back within a second of the server. */
export const MAX_RECONNECT_DELAY_MS = 1000;

/** The wait before reconnect attempt `failures` (0 for the first): core's backoff, at a feed's pace. */
export function reconnectDelay(failures: number, random: () => number = Math.random): number {
  return backoffDelay(failures, FIRST_DELAY_MS, MAX_RECONNECT_DELAY_MS, random);
}
