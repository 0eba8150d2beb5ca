/** First reconnect waits about this long; each further failure doubles it. */
const FIRST_DELAY_MS = 25;
/** Reconnect delays never exceed this, so a feed is back within a second of the server. */
export const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * The wait before reconnect attempt `failures` (0 for the first): exponential, capped, with
 * jitter so that many feeds cut at once do not reconnect in lockstep.
 */
export function reconnectDelay(failures: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RECONNECT_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(failures, 16));
  return Math.round(base * (0.5 + random() / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer is cleared then). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
