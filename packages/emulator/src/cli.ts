#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';

const USAGE = `Usage: ferrite-emulator [options]

An in-memory Ferrite server (RESP2/RESP3) for development and tests.

Options:
  --port <n>            TCP port (default 6380; 0 picks a free one)
  --host <address>      address to listen on (default 127.0.0.1)
  --password <p>        require AUTH with this password
  --cdc-capacity <n>    change-log events kept (default 100000)
  --semantic-ttl <s>    default TTL in seconds of SEMANTIC.SET entries
  -h, --help            show this help
`;

function fail(message: string): never {
  process.stderr.write(`ferrite-emulator: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integerOption(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) fail(`--${name} must be an integer of at least ${min}, got '${text}'`);
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        password: { type: 'string' },
        'cdc-capacity': { type: 'string' },
        'semantic-ttl': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const port = integerOption('port', values.port, 0) ?? 6380;
  if (port > 65535) fail(`--port must be at most 65535, got ${port}`);
  const cdcCapacity = integerOption('cdc-capacity', values['cdc-capacity'], 1);
  const semanticTtl = integerOption('semantic-ttl', values['semantic-ttl'], 1);
  const server = await startEmulator({
    port,
    host: values.host ?? '127.0.0.1',
    ...(values.password === undefined ? {} : { password: values.password }),
    ...(cdcCapacity === undefined ? {} : { cdcCapacity }),
    ...(semanticTtl === undefined ? {} : { semanticTtl }),
  });
  process.stdout.write(`ferrite-emulator listening on ${server.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`ferrite-emulator: ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ferrite-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
