import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envFileText } from './env-file.ts';
import { StackError } from './errors.ts';
import { withStackLock } from './lock.ts';
import { isListening } from './processes.ts';
import {
  allNew,
  createRedisCluster,
  probeRedisNode,
  type RedisNodeView,
  redisClusterHealth,
  redisClusterPids,
  redisClusterPorts,
  redisNodeDir,
  stopRedisCluster,
  waitForRedisCluster,
} from './redis-cluster.ts';
import { startRedisServer, stopRedisServer } from './redis-server.ts';
import { type StackSettings, stackSettings } from './stack.ts';

const HOST = '127.0.0.1';
/** Three masters, one replica each: the smallest cluster in which a master can fail over. */
const SIZE = 6;
/** The bus (gossip) port of a node: Redis's default, its client port + 10000. */
const BUS_OFFSET = 10_000;
/** Short, so that a test killing a master sees its replica take over within a few seconds. */
const NODE_TIMEOUT_MS = 2_000;

/** Where `stack up --redis-cluster` keeps its nodes, one folder per port. */
export const redisClusterDir = (settings: StackSettings) => join(settings.dir, 'redis-cluster');
/** `REDIS_URL` and `REDIS_CLUSTER=true` for the cluster, for `source`. */
export const redisClusterEnvFile = (settings: StackSettings) =>
  join(settings.dir, 'redis-cluster.env');

export interface RedisClusterInfo {
  envFile: string;
  /** The first node's address (`redis://host:port`): a cluster client finds the others. */
  redisUrl: string;
  /** The nodes' client ports, lowest first. */
  ports: number[];
  /** True when this call started nodes; false when it found the cluster running and healthy. */
  started: boolean;
}

export interface RedisClusterNodeStatus {
  address: string;
  /** Its PID while it runs (started by this stack), else undefined. */
  pid: number | undefined;
  /** What it answered; undefined when it does not run or did not answer. */
  view: RedisNodeView | undefined;
}

/**
 * `stack up --redis-cluster`: beside the plain stack (which it neither needs nor touches), a
 * Redis Cluster of three masters with one replica each in `.stack/redis-cluster`, on
 * REDIS_CLUSTER_PORT and the five ports above it, made once with redis-cli and restarted from
 * each node's `nodes.conf` after. Idempotent: a healthy running cluster is left alone, stopped
 * nodes are started again; what a failed call started is stopped again. Nothing else may hold
 * its ports or their bus ports: a stranger there could not be told apart from a node.
 */
export async function redisClusterUp(
  options: { settings?: StackSettings; log?: (line: string) => void; readyTimeoutMs?: number } = {},
): Promise<RedisClusterInfo> {
  const settings = options.settings ?? stackSettings();
  const log = options.log ?? ((line: string) => console.error(line));
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dir = redisClusterDir(settings);
  const ports = clusterPorts(settings);
  const addresses = ports.map((port) => `${HOST}:${port}`);
  const redisUrl = `redis://${addresses[0]}`;
  const envFile = redisClusterEnvFile(settings);

  return withStackLock(dir, readyTimeoutMs + 60_000, async () => {
    const made = redisClusterPorts(dir);
    if (made.length > 0 && made.join() !== ports.join()) {
      throw new StackError(
        `the Redis Cluster in ${dir} was made on ports ${made[0]}-${made.at(-1)}: set REDIS_CLUSTER_PORT=${made[0]}, or remove it with pnpm stack:down --redis-cluster --clean`,
      );
    }
    const pids = redisClusterPids(dir, ports);
    const toStart = ports.filter((_, index) => pids[index] === undefined);
    if (toStart.length === 0 && (await redisClusterHealth(addresses)).healthy) {
      writeEnvFile(envFile, redisUrl);
      return { envFile, redisUrl, ports, started: false };
    }
    const started: number[] = [];
    let creating = false;
    try {
      for (const port of toStart) {
        await assertFree(port);
        await assertFree(port + BUS_OFFSET);
      }
      if (toStart.length > 0) {
        log(`starting Redis Cluster nodes on ${HOST} (ports ${toStart.join(', ')})`);
      }
      // All at once: a node restarted from nodes.conf waits for its peers anyway.
      const results = await Promise.allSettled(
        toStart.map(async (port) => {
          await startRedisServer({
            dir: redisNodeDir(dir, port),
            host: HOST,
            port,
            readyTimeoutMs: 15_000,
            cluster: { nodeTimeoutMs: NODE_TIMEOUT_MS },
          });
          started.push(port);
        }),
      );
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;

      const { views } = await redisClusterHealth(addresses);
      const createLog = join(dir, 'create.log');
      if (allNew(views)) {
        log(`creating the Redis Cluster (3 masters, 1 replica each) on ${addresses.join(' ')}`);
        creating = true;
        await createRedisCluster(addresses, createLog);
      } else if (views.some((view) => view?.knownNodes === 1)) {
        throw new StackError(
          `some nodes of the Redis Cluster in ${dir} have lost their cluster (nodes.conf): remove it with pnpm stack:down --redis-cluster --clean, then up again`,
        );
      }
      await waitForRedisCluster(
        addresses,
        readyTimeoutMs,
        `${join(dir, '<port>', 'redis.log')}, ${createLog}`,
      );
      writeEnvFile(envFile, redisUrl);
      return { envFile, redisUrl, ports, started: toStart.length > 0 };
    } catch (error) {
      await Promise.all(started.map((port) => stopRedisServer(redisNodeDir(dir, port))));
      // A cluster half made would keep the next `up` from making it again; it held no data yet.
      if (creating) {
        await stopRedisCluster(dir);
        for (const port of ports) rmSync(redisNodeDir(dir, port), { recursive: true, force: true });
      }
      throw error;
    }
  });
}

/** `stack down --redis-cluster`: stops the cluster's nodes by their PID files. */
export function redisClusterDown(options: { settings?: StackSettings } = {}): Promise<boolean> {
  const dir = redisClusterDir(options.settings ?? stackSettings());
  if (!existsSync(dir)) return Promise.resolve(false);
  return withStackLock(dir, 60_000, () => stopRedisCluster(dir));
}

/** Each node of the cluster as made (none when it was never made): its PID and what it says. */
export async function redisClusterStatus(
  options: { settings?: StackSettings } = {},
): Promise<RedisClusterNodeStatus[]> {
  const dir = redisClusterDir(options.settings ?? stackSettings());
  const ports = redisClusterPorts(dir);
  const pids = redisClusterPids(dir, ports);
  return Promise.all(
    ports.map(async (port, index) => {
      const address = `${HOST}:${port}`;
      const pid = pids[index];
      return { address, pid, view: pid === undefined ? undefined : await probeRedisNode(address) };
    }),
  );
}

function clusterPorts(settings: StackSettings): number[] {
  const first = settings.redisClusterPort;
  if (first + SIZE - 1 + BUS_OFFSET > 65_535) {
    throw new StackError(
      `REDIS_CLUSTER_PORT must leave room for ${SIZE} ports and their bus ports (${BUS_OFFSET} higher): at most ${65_535 - BUS_OFFSET - SIZE + 1}, got ${first}`,
    );
  }
  return Array.from({ length: SIZE }, (_, index) => first + index);
}

function writeEnvFile(file: string, redisUrl: string): void {
  writeFileSync(
    file,
    envFileText([
      ['REDIS_URL', redisUrl],
      ['REDIS_CLUSTER', 'true'],
    ]),
  );
}

async function assertFree(port: number): Promise<void> {
  if (await isListening(HOST, port)) {
    throw new StackError(
      `port ${port} is taken (the Redis Cluster starts its own nodes on ${SIZE} ports from REDIS_CLUSTER_PORT and on each + ${BUS_OFFSET}): stop what listens on it, or set REDIS_CLUSTER_PORT to the first of ${SIZE} free ports`,
    );
  }
}
