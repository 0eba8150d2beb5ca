/**
 * Waits for `work` to settle, or for `ms` to pass, whichever comes first; never rejects, and
 * leaves no timer behind (a close that waited on it must not keep the process alive).
 */
export function within(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    work.then(done, done);
  });
}
