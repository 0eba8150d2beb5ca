import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, freePort, HOST, spawnServer, stopProcess, waitFor } from './redis-server.js';

const run = promisify(execFile);

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisCluster {
  /** The nodes started and not removed (a killed node stays listed: it is still a member). */
  readonly nodes: readonly RedisClusterNode[];
  /**
   * Kills the node on `port` with SIGKILL, as `kill -9` does (no goodbye to clients or to the
   * other nodes); resolves once the process has exited. Its replica takes over after the node
   * timeout.
   */
  kill(port: number): Promise<void>;
  /** The port of the primary serving each slot, as a live node's `CLUSTER SLOTS` says now. */
  slotOwners(): Promise<Map<number, number>>;
  /**
   * Starts a new empty primary and joins it to the cluster (`redis-cli --cluster add-node`);
   * resolves once every node knows it. It serves no slot until some are moved to it.
   */
  addPrimary(): Promise<RedisClusterNode>;
  /**
   * Moves `slots` slots of the primary on `fromPort` to the primary on `toPort`, with their keys,
   * as `redis-cli --cluster reshard` does (one slot at a time: `SETSLOT IMPORTING/MIGRATING`,
   * `MIGRATE … KEYS` a few keys at a time, `SETSLOT NODE`); clients meet `ASK` and `MOVED` meanwhile.
   */
  reshard(fromPort: number, toPort: number, slots: number): Promise<void>;
  /**
   * Removes the primary on `port`, which must serve no slot any more and have no replica:
   * `redis-cli --cluster del-node` (every other node forgets it), then its process is stopped.
   */
  removePrimary(port: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** `cluster-node-timeout`: how long a node may be unreachable before it is failed over. Default 5000 ms. */
  readonly nodeTimeoutMs?: number;
}

/** Runs `redis-cli --cluster …`; a failure carries what redis-cli printed (its reason is on stdout). */
async function clusterTool(...args: string[]): Promise<void> {
  try {
    await run('redis-cli', ['--cluster', ...args], { encoding: 'utf8' });
  } catch (error) {
    // The end of what it printed says why (a reshard prints its whole plan first).
    const output = error as { stdout?: string; stderr?: string };
    throw new Error(`redis-cli --cluster ${args.join(' ')} failed:\n${`${output.stdout ?? ''}${output.stderr ?? ''}`.slice(-1500)}`);
  }
}

/** A node's id, as `CLUSTER MYID` gives it. */
async function idOf(port: number): Promise<string> {
  return (await cli(port, 'CLUSTER', 'MYID')).trim();
}

/**
 * Starts a Redis Cluster of `primaries` nodes, each with `replicas` replicas, on loopback;
 * resolves once `cluster_state:ok` and every replica has finished its first sync.
 */
export async function startRedisCluster(primaries = 3, replicas = 0, options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const nodeTimeout = String(options.nodeTimeoutMs ?? 5000);
  const dir = await mkdtemp(join(tmpdir(), 'ferrite-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const stop = async () => {
    await Promise.all([...processes.values()].map(stopProcess));
    await rm(dir, { recursive: true, force: true });
  };
  const startNode = async (): Promise<number> => {
    // A port found free (its bus port too) can be taken again before the server binds it: a
    // server that exits instead of answering is started again on other ports.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort({ busPort: true });
      const child = spawnServer(port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', nodeTimeout]);
      processes.set(port, child);
      let exited = false;
      await waitFor(`cluster node ${port}`, async () => (exited = child.exitCode !== null) || (await cli(port, 'PING')).trim() === 'PONG');
      if (!exited) return port;
      processes.delete(port);
      if (attempt === 3) throw new Error(`redis-server exited on start three times (last on ports ${port} and ${port + 10_000})`);
    }
  };
  const alive = (port: number): boolean => {
    const child = processes.get(port);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };
  const livePorts = (): number[] => [...processes.keys()].filter(alive);
  try {
    const ports = await Promise.all(Array.from({ length: primaries * (1 + replicas) }, startNode));
    await clusterTool('create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes');
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
    if (replicas > 0) {
      for (const port of ports) {
        await waitFor(
          `replication on ${port}`,
          async () => {
            const info = await cli(port, 'INFO', 'replication');
            return info.includes('role:master') ? (info.match(/^slave\d+:.*state=online/gm) ?? []).length === replicas : info.includes('master_link_status:up');
          },
          30_000,
        );
      }
      // Every node lists each replica in CLUSTER SLOTS, which it does only once gossip has told it
      // the replica's replication offset (what clients read the topology from).
      for (const port of ports) {
        await waitFor(
          `replicas in CLUSTER SLOTS of ${port}`,
          async () => ((await cli(port, 'CLUSTER', 'SLOTS')).match(/^[0-9a-f]{40}$/gm) ?? []).length === primaries * (1 + replicas),
          30_000,
        );
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const slotOwners = async (): Promise<Map<number, number>> => {
    for (const port of livePorts()) {
      const nodes = await cli(port, 'CLUSTER', 'NODES').catch(() => '');
      if (nodes === '') continue;
      const owners = new Map<number, number>();
      // `<id> <host:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slot ranges>…`;
      // a slot being migrated shows as `[slot->-id]`, and is still served by this node.
      for (const line of nodes.trim().split('\n')) {
        const fields = line.trim().split(' ');
        if (!(fields[2] ?? '').includes('master') || (fields[2] ?? '').includes('fail')) continue;
        const owner = Number((fields[1] ?? '').split('@')[0]?.split(':')[1]);
        for (const range of fields.slice(8)) {
          if (range.startsWith('[')) continue;
          const [start, end = start] = range.split('-').map(Number) as [number, number?];
          for (let slot = start; slot <= end; slot++) owners.set(slot, owner);
        }
      }
      return owners;
    }
    throw new Error('no live cluster node answered CLUSTER NODES');
  };

  /** Waits until every live node but `except` knows the node `id` (or has forgotten it). */
  const everyNodeKnows = async (id: string, known: boolean, except?: number): Promise<void> => {
    for (const port of livePorts().filter((candidate) => candidate !== except)) {
      await waitFor(
        `node ${port} ${known ? 'knowing' : 'forgetting'} ${id}`,
        async () => {
          const line = (await cli(port, 'CLUSTER', 'NODES')).split('\n').find((entry) => entry.startsWith(id));
          return known ? line !== undefined && !line.includes('handshake') && line.includes('connected') : line === undefined;
        },
        30_000,
      );
    }
  };

  return {
    get nodes() {
      return [...processes.keys()].map((port) => ({ host: HOST, port }));
    },
    async kill(port) {
      const child = processes.get(port);
      if (!child) throw new Error(`no cluster node on port ${port}`);
      if (!alive(port)) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    slotOwners,
    async addPrimary() {
      const port = await startNode();
      const existing = livePorts().find((other) => other !== port) as number;
      await clusterTool('add-node', `${HOST}:${port}`, `${HOST}:${existing}`);
      await everyNodeKnows(await idOf(port), true);
      // It takes slots only once gossip has told it the whole slot map (until then it answers
      // MIGRATE with CLUSTERDOWN).
      await waitFor(`cluster_state:ok on the new node ${port}`, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), 30_000);
      return { host: HOST, port };
    },
    async reshard(fromPort, toPort, slots) {
      const [from, to] = await Promise.all([idOf(fromPort), idOf(toPort)]);
      await clusterTool('reshard', `${HOST}:${toPort}`, '--cluster-from', from, '--cluster-to', to, '--cluster-slots', String(slots), '--cluster-pipeline', '10', '--cluster-yes');
    },
    async removePrimary(port) {
      if ([...(await slotOwners()).values()].includes(port)) throw new Error(`node ${port} still serves slots; reshard them away first`);
      const id = await idOf(port);
      const other = livePorts().find((candidate) => candidate !== port) as number;
      await clusterTool('del-node', `${HOST}:${other}`, id);
      await everyNodeKnows(id, false, port);
      const child = processes.get(port);
      processes.delete(port);
      if (child) await stopProcess(child);
    },
    stop,
  };
}
