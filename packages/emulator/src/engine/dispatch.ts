import type { ClusterHooks } from './cluster-hooks.js';
import type { EngineCommandSpec, EngineContext } from './engine-context.js';
import { CommandError, array, errorReply } from './reply.js';
import type { EngineReply } from './reply.js';
import type { Session } from './session.js';

/** Commands that run even before AUTH when a password is set. */
const ALLOWED_BEFORE_AUTH = new Set(['AUTH', 'HELLO', 'QUIT', 'RESET']);
/** Commands that run at once inside MULTI instead of being queued. */
const RUN_INSIDE_MULTI = new Set(['EXEC', 'DISCARD', 'MULTI', 'WATCH', 'QUIT', 'RESET']);

export const QUEUED: EngineReply = Object.freeze({ kind: 'simple', value: 'QUEUED' });

/** Redis' text for an unknown command: name and the first arguments, quoted, capped near 128 bytes. */
export function unknownCommandMessage(argv: readonly Buffer[]): string {
  // Counted in bytes, as Redis does; error texts go out as UTF-8 like every other reply text.
  const parts: Buffer[] = [];
  let length = 0;
  for (let i = 1; i < argv.length && length < 128; i++) {
    const part = Buffer.concat([Buffer.from("'"), (argv[i] as Buffer).subarray(0, 128 - length), Buffer.from("' ")]);
    parts.push(part);
    length += part.length;
  }
  const name = (argv[0] as Buffer).subarray(0, 128).toString('utf8');
  // Redis turns CR and LF into spaces so the error stays one line.
  return `ERR unknown command '${name}', with args beginning with: ${Buffer.concat(parts).toString('utf8')}`.replace(/[\r\n]/g, ' ');
}

export function arityMessage(name: string): string {
  return `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
}

function arityOk(arity: number, count: number): boolean {
  return arity >= 0 ? count === arity : count >= -arity;
}

/**
 * The command pipeline of one emulator: lookup, arity, authentication, MULTI queueing, then the
 * handler. Replies are plain when the handler is synchronous, so pipelined input stays cheap.
 */
export class Dispatcher {
  private readonly specs = new Map<string, EngineCommandSpec>();
  /** Set on a node of an emulator cluster: slot checks before, replication after each command. */
  cluster: ClusterHooks | undefined;

  constructor(
    private readonly contextFor: (session: Session) => EngineContext,
    private readonly passwordRequired: () => boolean,
  ) {}

  register(specs: readonly EngineCommandSpec[]): void {
    for (const spec of specs) this.specs.set(spec.name.toUpperCase(), spec);
  }

  lookup(name: string): EngineCommandSpec | undefined {
    return this.specs.get(name.toUpperCase());
  }

  all(): EngineCommandSpec[] {
    return [...this.specs.values()];
  }

  execute(session: Session, argv: readonly Buffer[]): EngineReply | Promise<EngineReply> {
    if (argv.length === 0) return errorReply(unknownCommandMessage([Buffer.alloc(0)]));
    const name = (argv[0] as Buffer).toString('latin1');
    const upperName = name.toUpperCase();
    const spec = this.specs.get(upperName);
    const transaction = session.transaction;
    if (spec === undefined) return this.reject(session, unknownCommandMessage(argv));
    if (!arityOk(spec.arity, argv.length)) return this.reject(session, arityMessage(name));
    if (!session.authenticated && this.passwordRequired() && !ALLOWED_BEFORE_AUTH.has(upperName)) {
      return this.reject(session, 'NOAUTH Authentication required.');
    }
    if (this.cluster !== undefined) {
      const refusal = this.cluster.admit(session, spec, argv);
      if (refusal !== undefined) {
        // As Redis: a refused EXEC discards the transaction, a refused queued command dooms it.
        if (upperName === 'EXEC') session.transaction = undefined;
        return this.reject(session, refusal);
      }
    }
    session.lastCommand = name.toLowerCase();
    if (transaction !== undefined && !RUN_INSIDE_MULTI.has(upperName)) {
      transaction.queue.push(argv);
      return QUEUED;
    }
    return this.run(spec, session, argv);
  }

  /**
   * Runs the queued commands of `session`'s MULTI block in order (EXEC, once it has checked for
   * EXECABORT and WATCH); their errors become elements of the reply. Stays synchronous while the
   * handlers are, so no other session's command can run in between.
   */
  executeTransaction(session: Session): EngineReply | Promise<EngineReply> {
    const transaction = session.transaction;
    session.transaction = undefined;
    if (transaction === undefined) return errorReply('ERR EXEC without MULTI');
    const replies: EngineReply[] = [];
    const queue = transaction.queue;
    const specOf = (argv: readonly Buffer[]) =>
      this.specs.get((argv[0] as Buffer).toString('latin1').toUpperCase()) as EngineCommandSpec;
    for (let i = 0; i < queue.length; i++) {
      const argv = queue[i] as readonly Buffer[];
      const reply = this.run(specOf(argv), session, argv);
      if (reply instanceof Promise) {
        return (async () => {
          replies.push(await reply);
          for (const rest of queue.slice(i + 1)) replies.push(await this.run(specOf(rest), session, rest));
          return array(replies);
        })();
      }
      replies.push(reply);
    }
    return array(replies);
  }

  private run(spec: EngineCommandSpec, session: Session, argv: readonly Buffer[]): EngineReply | Promise<EngineReply> {
    let result: EngineReply | Promise<EngineReply>;
    try {
      result = spec.handler(this.contextFor(session), argv.slice(1));
      if (result instanceof Promise) result = result.catch((error: unknown) => this.failure(error));
    } catch (error) {
      result = this.failure(error);
    }
    const cluster = this.cluster;
    if (cluster === undefined) return result;
    if (result instanceof Promise) {
      return result.then((settled) => {
        cluster.executed(session, spec, argv, settled);
        return settled;
      });
    }
    cluster.executed(session, spec, argv, result);
    return result;
  }

  private failure(error: unknown): EngineReply {
    if (error instanceof CommandError) return errorReply(error.message);
    const detail = error instanceof Error ? error.message : String(error);
    return errorReply(`ERR internal error: ${detail.replace(/[\r\n]/g, ' ')}`);
  }

  private reject(session: Session, message: string): EngineReply {
    if (session.transaction !== undefined) session.transaction.aborted = true;
    return errorReply(message);
  }
}
