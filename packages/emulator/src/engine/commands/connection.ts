import type { EngineContext } from '../engine-context.js';
import { upper } from '../engine-context.js';
import { CommandError, NULL, OK, array, bulk, integer, map, simple } from '../reply.js';
import type { EngineReply } from '../reply.js';
import type { Session } from '../session.js';
import { NOT_AN_INTEGER, SYNTAX_ERROR, parseInt64 } from './arguments.js';
import { command } from './spec.js';
import { subcommandHandler } from './subcommands.js';
import { clientList } from './client-list.js';

export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
const AUTH_WITHOUT_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
const BAD_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

/** The version reported by HELLO, INFO and the `ferrite_version` field. */
export const REDIS_VERSION = '7.2.0';
export const FERRITE_VERSION = '0.0.0-emulator';

function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/** AUTH semantics shared by AUTH and HELLO … AUTH. Without a configured password any `default` login succeeds (Redis' nopass user). */
function authenticate(context: EngineContext, user: string, password: string): void {
  const emulator = context.emulator;
  const ok = emulator.requiresPassword ? emulator.checkPassword(user, password) : user === 'default';
  if (!ok) throw new CommandError(WRONGPASS);
  context.client.authenticated = true;
}

function helloReply(context: EngineContext): EngineReply {
  return map([
    [bulk('server'), bulk('ferrite')],
    [bulk('version'), bulk(REDIS_VERSION)],
    [bulk('proto'), integer(context.client.protocol)],
    [bulk('id'), integer(context.client.id)],
    [bulk('mode'), bulk(context.emulator.cluster === undefined ? 'standalone' : 'cluster')],
    [bulk('role'), bulk(context.emulator.cluster?.role ?? 'master')],
    [bulk('modules'), array([])],
  ]);
}

function hello(context: EngineContext, args: readonly Buffer[]): EngineReply {
  let protocol: 2 | 3 | undefined;
  let next = 0;
  if (args.length >= 1) {
    const version = parseInt64(args[0] as Buffer);
    next = 1;
    if (version === undefined) throw new CommandError('ERR Protocol version is not an integer or out of range');
    if (version !== 2n && version !== 3n) throw new CommandError('NOPROTO unsupported protocol version');
    protocol = version === 2n ? 2 : 3;
  }
  let credentials: [string, string] | undefined;
  let clientName: string | undefined;
  for (let i = next; i < args.length; i++) {
    const more = args.length - 1 - i;
    const option = (args[i] as Buffer).toString('utf8');
    const upperOption = option.toUpperCase();
    if (upperOption === 'AUTH' && more >= 2) {
      credentials = [(args[i + 1] as Buffer).toString('latin1'), (args[i + 2] as Buffer).toString('latin1')];
      i += 2;
    } else if (upperOption === 'SETNAME' && more >= 1) {
      clientName = (args[i + 1] as Buffer).toString('latin1');
      if (!validClientName(clientName)) throw new CommandError(BAD_CLIENT_NAME);
      i += 1;
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${option}'`);
    }
  }
  if (credentials !== undefined) authenticate(context, credentials[0], credentials[1]);
  if (!context.client.authenticated) throw new CommandError(HELLO_NOAUTH);
  if (clientName !== undefined) context.client.name = clientName;
  if (protocol !== undefined) context.client.protocol = protocol;
  return helloReply(context);
}

function auth(context: EngineContext, args: readonly Buffer[]): EngineReply {
  if (args.length > 2) throw new CommandError(SYNTAX_ERROR);
  if (args.length === 1) {
    if (!context.emulator.requiresPassword) throw new CommandError(AUTH_WITHOUT_PASSWORD);
    authenticate(context, 'default', (args[0] as Buffer).toString('latin1'));
  } else {
    authenticate(context, (args[0] as Buffer).toString('latin1'), (args[1] as Buffer).toString('latin1'));
  }
  return OK;
}

function select(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const index = parseInt64(args[0] as Buffer);
  if (index === undefined || index > 2147483647n || index < -2147483648n) throw new CommandError(NOT_AN_INTEGER);
  if (index < 0n || index >= BigInt(context.emulator.databaseCount)) throw new CommandError('ERR DB index is out of range');
  context.client.selectedDb = Number(index);
  return OK;
}

function clientKill(context: EngineContext, args: readonly Buffer[]): EngineReply {
  if (args.length === 1) {
    // Old form `CLIENT KILL addr:port`: the connection at that peer address, or an error.
    const address = (args[0] as Buffer).toString('latin1');
    const target = context.emulator.openSessions().find((session) => session.address !== '' && session.address === address);
    if (target === undefined) throw new CommandError('ERR No such client');
    killSession(context, target);
    return OK;
  }
  // Redis' filter form: a client is killed when it matches every filter given (none: every
  // client), and the caller is skipped unless `SKIPME no`.
  let id: number | undefined;
  let address: string | undefined;
  let skipMe = true;
  for (let i = 0; i < args.length; i += 2) {
    const filter = upper(args[i]);
    const value = args[i + 1];
    if (value === undefined) throw new CommandError(SYNTAX_ERROR);
    if (filter === 'ID') {
      const parsed = parseInt64(value);
      if (parsed === undefined || parsed <= 0n) throw new CommandError('ERR client-id should be greater than 0');
      id = Number(parsed);
    } else if (filter === 'ADDR') {
      address = value.toString('latin1');
    } else if (filter === 'SKIPME') {
      const answer = upper(value);
      if (answer !== 'YES' && answer !== 'NO') throw new CommandError(SYNTAX_ERROR);
      skipMe = answer === 'YES';
    } else {
      throw new CommandError(SYNTAX_ERROR);
    }
  }
  const targets = context.emulator
    .openSessions()
    .filter((session) => (id === undefined || session.id === id) && (address === undefined || session.address === address) && !(skipMe && session === context.client));
  for (const target of targets) killSession(context, target);
  return integer(targets.length);
}

function killSession(context: EngineContext, target: Session): void {
  if (target === context.client) {
    // Redis replies first, then closes the connection.
    target.closeRequested = true;
  } else {
    context.emulator.closeSession(target);
  }
}

const client = subcommandHandler('CLIENT', {
  ID: { arity: 2, handler: (context) => integer(context.client.id) },
  SETNAME: {
    arity: 3,
    handler: (context, args) => {
      const name = (args[0] as Buffer).toString('latin1');
      if (!validClientName(name)) throw new CommandError(BAD_CLIENT_NAME);
      context.client.name = name;
      return OK;
    },
  },
  GETNAME: { arity: 2, handler: (context) => (context.client.name === '' ? NULL : bulk(Buffer.from(context.client.name, 'latin1'))) },
  SETINFO: {
    arity: 4,
    handler: (context, args) => {
      const attribute = upper(args[0]);
      const value = (args[1] as Buffer).toString('latin1');
      if (attribute !== 'LIB-NAME' && attribute !== 'LIB-VER') {
        throw new CommandError(`ERR Unrecognized option '${(args[0] as Buffer).toString('utf8')}'`);
      }
      if (!validClientName(value) && value !== '') {
        throw new CommandError(`ERR ${attribute === 'LIB-NAME' ? 'lib-name' : 'lib-ver'} cannot contain spaces, newlines or special characters.`);
      }
      if (attribute === 'LIB-NAME') context.client.libraryName = value;
      else context.client.libraryVersion = value;
      return OK;
    },
  },
  LIST: { arity: -2, handler: (context, args) => bulk(clientList(context, args)) },
  INFO: { arity: 2, handler: (context) => bulk(clientList(context, [Buffer.from('ID'), Buffer.from(String(context.client.id))])) },
  KILL: { arity: -3, handler: clientKill },
  HELP: {
    arity: 2,
    handler: () =>
      array(
        ['CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'ID', 'SETNAME <name>', 'GETNAME', 'SETINFO <option> <value>', 'LIST', 'INFO', 'KILL [ID <id>] [ADDR <ip:port>] [SKIPME yes|no]', 'HELP'].map((line) =>
          simple(line),
        ),
      ),
  },
});

export const connectionCommands = [
  command('PING', -1, ['fast'], (_context, args) => {
    if (args.length > 1) throw new CommandError("ERR wrong number of arguments for 'ping' command");
    return args.length === 0 ? simple('PONG') : bulk(args[0] as Buffer);
  }),
  command('ECHO', 2, ['fast'], (_context, args) => bulk(args[0] as Buffer)),
  command('HELLO', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth'], hello),
  command('AUTH', -2, ['noscript', 'loading', 'stale', 'fast', 'no_auth'], auth),
  command('SELECT', 2, ['loading', 'stale', 'fast'], select),
  command('QUIT', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth'], (context) => {
    context.client.closeRequested = true;
    return OK;
  }),
  command('RESET', 1, ['noscript', 'loading', 'stale', 'fast', 'no_auth'], (context) => {
    context.client.reset(!context.emulator.requiresPassword);
    context.emulator.watches.unwatch(context.client);
    return simple('RESET');
  }),
  command('CLIENT', -2, [], client),
];
