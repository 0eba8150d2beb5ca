import { FerriteConnectionError, isConnectionError, isReplyError } from '../errors.js';
import type { TransportLifecycle } from './lifecycle.js';

/** Where a `MOVED` or `ASK` reply sends a command. */
export interface Redirect {
  readonly kind: 'MOVED' | 'ASK';
  readonly slot: number;
  readonly host: string;
  readonly port: number;
}

const REDIRECT = /^(MOVED|ASK) (\d+) (.+):(\d+)$/;

/** The redirect a cluster node answered with, or `undefined` for any other outcome. */
export function redirectOf(error: unknown): Redirect | undefined {
  if (!isReplyError(error)) return undefined;
  const match = REDIRECT.exec(error.serverMessage);
  if (!match) return undefined;
  const [, kind, slot, host, port] = match as unknown as [string, 'MOVED' | 'ASK', string, string, string];
  return { kind, slot: Number(slot), host, port: Number(port) };
}

/**
 * Replies that mean the node refused the command before running it: `MOVED`/`ASK` (another node
 * serves the slot), `CLUSTERDOWN` (the cluster is detecting a failure or has lost a slot) and
 * `TRYAGAIN` (a multi-key command during a migration). Sending such a command again is safe
 * whatever it does.
 */
const NOT_APPLIED = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)\b/;

/**
 * Whether a failed attempt provably did not run, so that it may be sent again whatever the
 * command: one of the replies above, or a connection error that says the command never left the
 * client (no node for its slot yet, a connection that could not be opened).
 */
export function notApplied(error: unknown): boolean {
  if (isReplyError(error)) return NOT_APPLIED.test(error.serverMessage);
  return isConnectionError(error) && !error.maybeApplied;
}

const FIRST_WAIT_MS = 10;
/**
 * The longest pause between two attempts. A failover takes a cluster one to three seconds: short
 * pauses find the promoted replica soon after the driver has read the new slot map.
 */
const MAX_WAIT_MS = 200;

/** The pause before attempt `attempt + 1` (jittered, so clients do not come back in lockstep). */
export function pauseBefore(attempt: number): number {
  const ceiling = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

/**
 * Waits `ms` before another attempt of a command that was not applied. Rejects with a
 * `FerriteConnectionError` whose `maybeApplied` is `false` (nothing of this command ran) when
 * the caller stops waiting first (`signal`) or the transport closes; `cause` is the reply that
 * made it wait. Holds no timer once settled.
 */
export function pauseUnlessAbandoned(ms: number, signal: AbortSignal | undefined, lifecycle: TransportLifecycle, name: string, cause: unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const giveUp = (why: string): FerriteConnectionError =>
      new FerriteConnectionError(`${name}: ${why} while the cluster could not take the command yet (${messageOfCause(cause)})`, { cause, maybeApplied: false });
    if (signal?.aborted) return reject(giveUp('the caller stopped waiting'));
    let handle: ReturnType<TransportLifecycle['watch']>;
    try {
      handle = lifecycle.watch(
        () => (finish(), reject(giveUp('the transport closed'))),
        () => true,
      );
    } catch (error) {
      reject(error);
      return;
    }
    const onAbort = (): void => {
      finish();
      reject(giveUp('the caller stopped waiting'));
    };
    const timer = setTimeout(() => {
      finish();
      resolve();
    }, ms);
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      lifecycle.unwatch(handle);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function messageOfCause(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
