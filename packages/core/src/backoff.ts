/**
 * The wait before retry number `step` (0 for the first): `firstMs` doubling up to `maxMs`, with
 * jitter (between half and all of it), so clients that lost one server do not return in lockstep.
 */
export function backoffDelay(step: number, firstMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(step, 0), 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer or listener behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
