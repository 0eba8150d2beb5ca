import type { EngineContext } from '../engine-context.js';
import { upper } from '../engine-context.js';
import { CommandError } from '../reply.js';
import type { Session } from '../session.js';
import { SYNTAX_ERROR, parseInt64 } from './arguments.js';

function describe(session: Session, now: number): string {
  const age = Math.max(0, Math.floor((now - session.createdAt) / 1000));
  const fields: Array<[string, string | number]> = [
    ['id', session.id],
    ['addr', session.address],
    ['laddr', ''],
    ['fd', -1],
    ['name', session.name],
    ['age', age],
    ['idle', 0],
    ['flags', session.transaction === undefined ? 'N' : 'x'],
    ['db', session.selectedDb],
    ['sub', 0],
    ['psub', 0],
    ['ssub', 0],
    ['multi', session.transaction === undefined ? -1 : session.transaction.queue.length],
    ['qbuf', 0],
    ['qbuf-free', 0],
    ['argv-mem', 0],
    ['multi-mem', 0],
    ['rbs', 0],
    ['rbp', 0],
    ['obl', 0],
    ['oll', 0],
    ['omem', 0],
    ['tot-mem', 0],
    ['events', 'r'],
    ['cmd', session.lastCommand],
    ['user', 'default'],
    ['redir', -1],
    ['resp', session.protocol],
    ['lib-name', session.libraryName],
    ['lib-ver', session.libraryVersion],
  ];
  return fields.map(([name, value]) => `${name}=${value}`).join(' ');
}

/** CLIENT LIST [TYPE normal] [ID id …]: one line per session, `field=value` pairs. */
export function clientList(context: EngineContext, args: readonly Buffer[]): string {
  let sessions = context.emulator.openSessions();
  if (args.length > 0) {
    const filter = upper(args[0]);
    if (filter === 'TYPE' && args.length === 2) {
      const type = upper(args[1]);
      if (!['NORMAL', 'MASTER', 'REPLICA', 'PUBSUB', 'SLAVE'].includes(type)) {
        throw new CommandError(`ERR Unknown client type '${(args[1] as Buffer).toString('utf8')}'`);
      }
      if (type !== 'NORMAL') sessions = [];
    } else if (filter === 'ID' && args.length >= 2) {
      const ids = new Set<number>();
      for (const arg of args.slice(1)) {
        const id = parseInt64(arg);
        if (id === undefined || id <= 0n) throw new CommandError('ERR Invalid client ID');
        ids.add(Number(id));
      }
      sessions = sessions.filter((session) => ids.has(session.id));
    } else {
      throw new CommandError(SYNTAX_ERROR);
    }
  }
  const now = context.now();
  return sessions.map((session) => `${describe(session, now)}\n`).join('');
}
