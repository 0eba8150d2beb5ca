#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startEmulatorCluster } from './cluster/start.js';
import { startEmulator } from './server.js';

const USAGE = `Usage: ferrite-emulator [options]

An in-memory Ferrite server (RESP2/RESP3) for development and tests.

Options:
  --port <n>            TCP port (default 6380, or 7000 with --cluster; 0 picks a free one)
  --host <address>      address to listen on (default 127.0.0.1)
  --password <p>        require AUTH with this password
  --cdc-capacity <n>    change-log events kept (default 100000)
  --semantic-ttl <s>    default TTL in seconds of SEMANTIC.SET entries
  --query-buffer-limit <bytes>
                        most bytes of one unfinished command per connection (default 1 GiB)
  --cluster <n>         run a cluster of n primaries on ports port, port+1, … (Redis Cluster protocol)
  --replicas <n>        with --cluster: replicas per primary, on the ports after the primaries (default 0)
  --node-timeout <ms>   with --cluster: cluster-node-timeout, after which a dead primary's replica
                        takes over (default 1000)
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
        'query-buffer-limit': { type: 'string' },
        cluster: { type: 'string' },
        replicas: { type: 'string' },
        'node-timeout': { type: 'string' },
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
  const primaries = integerOption('cluster', values.cluster, 1);
  const replicas = integerOption('replicas', values.replicas, 0);
  if (replicas !== undefined && primaries === undefined) fail('--replicas needs --cluster');
  const nodeTimeout = integerOption('node-timeout', values['node-timeout'], 1);
  if (nodeTimeout !== undefined && primaries === undefined) fail('--node-timeout needs --cluster');
  const port = integerOption('port', values.port, 0) ?? (primaries === undefined ? 6380 : 7000);
  if (port > 65535) fail(`--port must be at most 65535, got ${port}`);
  const cdcCapacity = integerOption('cdc-capacity', values['cdc-capacity'], 1);
  const semanticTtl = integerOption('semantic-ttl', values['semantic-ttl'], 1);
  const queryBufferLimit = integerOption('query-buffer-limit', values['query-buffer-limit'], 1);
  const options = {
    port,
    host: values.host ?? '127.0.0.1',
    ...(values.password === undefined ? {} : { password: values.password }),
    ...(cdcCapacity === undefined ? {} : { cdcCapacity }),
    ...(semanticTtl === undefined ? {} : { semanticTtl }),
    ...(queryBufferLimit === undefined ? {} : { queryBufferLimit }),
  };
  let server: { close(): Promise<void> };
  if (primaries === undefined) {
    const single = await startEmulator(options);
    process.stdout.write(`ferrite-emulator listening on ${single.url}\n`);
    server = single;
  } else {
    if (port > 0 && port + primaries * (1 + (replicas ?? 0)) - 1 > 65535) fail(`--port ${port} leaves too few ports for the cluster`);
    const cluster = await startEmulatorCluster({ ...options, primaries, replicas: replicas ?? 0, ...(nodeTimeout === undefined ? {} : { nodeTimeout }) });
    for (const node of cluster.nodes) {
      process.stdout.write(`  ${node.role === 'primary' ? 'primary' : 'replica'} ${node.url} ${node.id}${node.primaryId === undefined ? '' : ` follows ${node.primaryId}`}\n`);
    }
    process.stdout.write(`ferrite-emulator cluster of ${cluster.nodes.length} nodes listening on ${cluster.url}\n`);
    server = cluster;
  }
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
