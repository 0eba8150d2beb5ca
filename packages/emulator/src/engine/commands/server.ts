import type { EngineContext } from '../engine-context.js';
import type { EngineCommandSpec } from '../engine-context.js';
import { upper } from '../engine-context.js';
import { CommandError, NULL, OK, array, bulk, integer, map, set } from '../reply.js';
import type { EngineReply } from '../reply.js';
import { SYNTAX_ERROR, parseDouble } from './arguments.js';
import { FERRITE_VERSION, REDIS_VERSION } from './connection.js';
import { command } from './spec.js';
import { subcommandHandler } from './subcommands.js';

/** Redis 7's COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands. */
function commandInfo(spec: EngineCommandSpec): EngineReply {
  return array([
    bulk(spec.name.toLowerCase()),
    integer(spec.arity),
    set(spec.flags.map((flag) => ({ kind: 'simple', value: flag }) as const)),
    integer(spec.firstKey),
    integer(spec.lastKey),
    integer(spec.step),
    set([]),
    set([]),
    array([]),
    array([]),
  ]);
}

function commandDocs(spec: EngineCommandSpec): EngineReply {
  const group = spec.name.includes('.') ? 'module' : 'generic';
  return map([
    [bulk('summary'), bulk(`${spec.name} (Ferrite emulator)`)],
    [bulk('since'), bulk('1.0.0')],
    [bulk('group'), bulk(group)],
  ]);
}

const commandContainer = subcommandHandler('COMMAND', {
  COUNT: { arity: 2, handler: (context) => integer(context.emulator.commands().length) },
  INFO: {
    arity: -2,
    handler: (context, args) => {
      if (args.length === 0) return array(context.emulator.commands().map(commandInfo));
      return array(
        args.map((name) => {
          const spec = context.emulator.command(name.toString('latin1'));
          return spec === undefined ? NULL : commandInfo(spec);
        }),
      );
    },
  },
  DOCS: {
    arity: -2,
    handler: (context, args) => {
      const specs =
        args.length === 0
          ? context.emulator.commands()
          : args.flatMap((name) => {
              const spec = context.emulator.command(name.toString('latin1'));
              return spec === undefined ? [] : [spec];
            });
      return map(specs.map((spec) => [bulk(spec.name.toLowerCase()), commandDocs(spec)] as const));
    },
  },
  LIST: { arity: -2, handler: (context) => array(context.emulator.commands().map((spec) => bulk(spec.name.toLowerCase()))) },
});

function commandHandler(context: EngineContext, args: readonly Buffer[]): EngineReply | Promise<EngineReply> {
  if (args.length === 0) return array(context.emulator.commands().map(commandInfo));
  return commandContainer(context, args);
}

const INFO_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'errorstats', 'cluster', 'keyspace'] as const;

function infoSection(context: EngineContext, section: (typeof INFO_SECTIONS)[number]): string[] {
  const emulator = context.emulator;
  const uptime = Math.max(0, Math.floor((context.now() - emulator.startedAt) / 1000));
  switch (section) {
    case 'server':
      return [
        '# Server',
        `redis_version:${REDIS_VERSION}`,
        `ferrite_version:${FERRITE_VERSION}`,
        `redis_mode:${emulator.cluster === undefined ? 'standalone' : 'cluster'}`,
        `os:${process.platform}`,
        'arch_bits:64',
        `process_id:${process.pid}`,
        'run_id:0000000000000000000000000000000000000000',
        'tcp_port:0',
        `uptime_in_seconds:${uptime}`,
        `uptime_in_days:${Math.floor(uptime / 86400)}`,
        'hz:10',
        'executable:ferrite-emulator',
      ];
    case 'clients':
      return ['# Clients', `connected_clients:${emulator.openSessions().length}`, 'blocked_clients:0', 'maxclients:10000'];
    case 'memory':
      return ['# Memory', `used_memory:${process.memoryUsage().heapUsed}`, 'maxmemory:0', 'maxmemory_policy:noeviction'];
    case 'persistence':
      return ['# Persistence', 'loading:0', 'async_loading:0', 'rdb_changes_since_last_save:0', 'aof_enabled:0'];
    case 'stats':
      return [
        '# Stats',
        `total_connections_received:${emulator.stats.connectionsReceived}`,
        `total_commands_processed:${emulator.stats.commandsProcessed}`,
        `cdc_last_event_id:${emulator.changeLog.lastId}`,
      ];
    case 'replication':
      return emulator.cluster?.replicationInfo() ?? ['# Replication', 'role:master', 'connected_slaves:0'];
    case 'errorstats':
      return ['# Errorstats', ...(emulator.cluster?.errorStats() ?? [])];
    case 'cluster':
      return ['# Cluster', `cluster_enabled:${emulator.cluster === undefined ? 0 : 1}`];
    case 'cpu':
      return ['# CPU', `used_cpu_sys:${(process.cpuUsage().system / 1e6).toFixed(6)}`, `used_cpu_user:${(process.cpuUsage().user / 1e6).toFixed(6)}`];
    case 'keyspace': {
      const lines = ['# Keyspace'];
      for (let index = 0; index < emulator.databaseCount; index++) {
        const database = emulator.database(index);
        const keys = database.size;
        if (keys > 0) lines.push(`db${index}:keys=${keys},expires=${database.expiringCount},avg_ttl=0`);
      }
      return lines;
    }
  }
}

function info(context: EngineContext, args: readonly Buffer[]): EngineReply {
  const wanted = args.map((arg) => arg.toString('latin1').toLowerCase());
  const all = wanted.length === 0 || wanted.some((name) => name === 'all' || name === 'everything' || name === 'default');
  // Only cluster nodes count errors (their redirects); a standalone emulator has no such section.
  const sections = INFO_SECTIONS.filter(
    (section) => (all || wanted.includes(section)) && (section !== 'errorstats' || context.emulator.cluster !== undefined),
  );
  const text = sections.map((section) => infoSection(context, section).join('\r\n')).join('\r\n\r\n');
  return bulk(sections.length === 0 ? '' : `${text}\r\n`);
}

function flushOption(args: readonly Buffer[]): void {
  if (args.length > 1) throw new CommandError(SYNTAX_ERROR);
  if (args.length === 1 && !['ASYNC', 'SYNC'].includes(upper(args[0]))) throw new CommandError(SYNTAX_ERROR);
}

function debugSleep(context: EngineContext, args: readonly Buffer[]): EngineReply | Promise<EngineReply> {
  const seconds = parseDouble(args[0] as Buffer) ?? 0;
  const ms = Math.max(0, Math.min(seconds * 1000, 2 ** 31 - 1));
  if (!(ms > 0)) return OK;
  // A timer, not a busy wait: only this session waits (its later commands queue behind it).
  return new Promise((resolve) => {
    const signal = context.signal;
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(OK);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const debug = subcommandHandler('DEBUG', {
  SLEEP: { arity: 3, handler: debugSleep },
});

export const serverCommands = [
  command('COMMAND', -1, ['loading', 'stale'], commandHandler),
  command('INFO', -1, ['loading', 'stale'], info),
  command('DBSIZE', 1, ['readonly', 'fast'], (context) => integer(context.keyspace.size)),
  command('FLUSHDB', -1, ['write'], (context, args) => {
    flushOption(args);
    context.emulator.flushDatabase(context.keyspace.index);
    context.recordChange('FLUSHDB', '', null);
    return OK;
  }),
  command('FLUSHALL', -1, ['write'], (context, args) => {
    flushOption(args);
    for (let index = 0; index < context.emulator.databaseCount; index++) context.emulator.flushDatabase(index);
    context.recordChange('FLUSHALL', '', null);
    return OK;
  }),
  command('TIME', 1, ['loading', 'stale', 'fast'], (context) => {
    const micros = BigInt(Math.floor(context.now() * 1000));
    return array([bulk(String(micros / 1_000_000n)), bulk(String(micros % 1_000_000n))]);
  }),
  command('DEBUG', -2, ['admin', 'noscript', 'loading', 'stale'], debug),
];
