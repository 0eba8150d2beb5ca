/**
 * Reads until `accept` holds, for tests that wait on a behaviour (a replica catching up, a
 * failover): the deadline is generous because the machine may be loaded, and only a behaviour
 * that never comes fails. Test-only, like the rest of this folder.
 */
export async function eventually<T>(read: () => Promise<T> | T, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
