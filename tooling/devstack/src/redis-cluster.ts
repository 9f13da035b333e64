import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '@kafka-ecs/testing';
import { StackError } from './errors.ts';
import { withProbeClient } from './redis-probe.ts';
import { runningRedisPid, stopRedisServer } from './redis-server.ts';
import { holdsInARow } from './steady.ts';

// The building blocks of a local Redis Cluster: nodes are plain redis-servers with
// `cluster-enabled` (see startRedisServer), each in `<dir>/<port>/`; what ties them together is
// here: creating the cluster once, telling whether it is healthy, stopping it.

/** A node's folder in the cluster folder `dir`: named after its client port. */
export const redisNodeDir = (dir: string, port: number) => join(dir, String(port));

/** What a node says of itself: CLUSTER INFO and ROLE. */
export interface RedisNodeView {
  /** `ok` once it serves every slot; `fail` while it knows of a slot no one serves. */
  clusterState: string;
  knownNodes: number;
  slotsAssigned: number;
  role: 'master' | 'replica';
  /** A master's replicas (`host:port`), as it lists them. */
  replicas: string[];
  /** A replica's master (`host:port`) and its link to it: `connected` once in sync. */
  master?: string;
  link?: string;
}

export interface RedisClusterHealth {
  /** Every node answers with `cluster_state:ok`; half are masters, each with one in-sync replica. */
  healthy: boolean;
  /** Each node's answer, in the order asked; undefined where it did not answer. */
  views: (RedisNodeView | undefined)[];
}

/** The ports of the nodes whose folders are in `dir` (the cluster as made), lowest first. */
export function redisClusterPorts(dir: string): number[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && /^\d+$/.test(entry.name))
      .map((entry) => Number(entry.name))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The PID of each node of the cluster in `dir` that runs (by its PID file), else undefined. */
export function redisClusterPids(dir: string, ports: number[]): (number | undefined)[] {
  return ports.map((port) => runningRedisPid(redisNodeDir(dir, port)));
}

/** What the node at `address` answers, or undefined when it does not within a second. */
export async function probeRedisNode(address: string): Promise<RedisNodeView | undefined> {
  try {
    return await withProbeClient(`redis://${address}`, { timeoutMs: 1_000 }, async (client) => {
      const info = new Map(
        (await client.cluster('INFO'))
          .split(/\r?\n/)
          .map((line) => line.split(':') as [string, string | undefined]),
      );
      // ROLE: [master, offset, [[host, port, offset], …]] or [slave, host, port, state, offset].
      const role = await client.role();
      const view = {
        clusterState: info.get('cluster_state') ?? 'unknown',
        knownNodes: Number(info.get('cluster_known_nodes') ?? 0),
        slotsAssigned: Number(info.get('cluster_slots_assigned') ?? 0),
      };
      if (role[0] === 'master') {
        const replicas = (role[2] as [string, string, string][]).map(
          ([host, port]) => `${host}:${port}`,
        );
        return { ...view, role: 'master', replicas };
      }
      const [, host, port, link] = role as [string, string, number, string];
      return { ...view, role: 'replica', replicas: [], master: `${host}:${port}`, link };
    });
  } catch {
    return undefined;
  }
}

/** Asks every node (`host:port`) how it is, and whether that makes a healthy cluster. */
export async function redisClusterHealth(addresses: string[]): Promise<RedisClusterHealth> {
  const views = await Promise.all(addresses.map((address) => probeRedisNode(address)));
  const answered = views.filter((view) => view !== undefined);
  const masters = answered.filter((view) => view.role === 'master');
  const healthy =
    answered.length === addresses.length &&
    answered.every((view) => view.clusterState === 'ok') &&
    masters.length === addresses.length / 2 &&
    masters.every((view) => view.replicas.length === 1) &&
    answered.every((view) => view.role === 'master' || view.link === 'connected');
  return { healthy, views };
}

/** True when no node has been part of a cluster yet: each knows only itself and no slot. */
export function allNew(views: (RedisNodeView | undefined)[]): boolean {
  return views.every((view) => view?.knownNodes === 1 && view.slotsAssigned === 0);
}

/**
 * Makes a cluster of the running, new nodes at `addresses` with redis-cli: the first half
 * become masters with a third of the slots each, the others one replica each. What redis-cli
 * printed goes to `logFile`.
 */
export async function createRedisCluster(
  addresses: string[],
  logFile: string,
  timeoutMs = 30_000,
): Promise<void> {
  const args = ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'];
  let result: Awaited<ReturnType<typeof runCommand>>;
  try {
    result = await runCommand('redis-cli', args, { timeoutMs });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StackError(
      missing
        ? 'redis-cli is not installed: sudo apt-get install redis-tools'
        : `redis-cli --cluster create did not finish within ${timeoutMs / 1000} s`,
      { cause: error },
    );
  }
  writeFileSync(logFile, `$ redis-cli ${args.join(' ')}\n${result.stdout}${result.stderr}`);
  if (result.code !== 0) {
    throw new StackError(
      `redis-cli --cluster create failed (exit ${result.code}); its output is in ${logFile}`,
    );
  }
}

/**
 * Polls the nodes until they make a healthy cluster (see redisClusterHealth), or throws after
 * `timeoutMs` saying how each node last was. Creation, a restart from `nodes.conf` or a
 * failover all take a few gossip rounds to settle, hence the bound rather than one look.
 */
export async function waitForRedisCluster(
  addresses: string[],
  timeoutMs: number,
  logs: string,
): Promise<void> {
  let last: RedisClusterHealth = { healthy: false, views: [] };
  const healthy = await holdsInARow(
    async () => {
      last = await redisClusterHealth(addresses);
      return last.healthy;
    },
    { times: 1, intervalMs: 100, deadline: Date.now() + timeoutMs },
  );
  if (!healthy) {
    const seen = addresses.map((address, index) => `${address} ${describeNode(last.views[index])}`);
    throw new StackError(
      `the Redis Cluster was not ready (cluster_state:ok on every node, ${addresses.length / 2} masters with an in-sync replica each) within ${timeoutMs / 1000} s; it last was: ${seen.join('; ')}. Logs: ${logs}`,
    );
  }
}

/** One node's role and state in a few words, for status and errors. */
export function describeNode(view: RedisNodeView | undefined): string {
  if (!view) return 'not answering';
  const role =
    view.role === 'master'
      ? `master, ${view.replicas.length === 1 ? '1 replica' : `${view.replicas.length} replicas`}`
      : `replica of ${view.master} (${view.link})`;
  return `${role}, cluster ${view.clusterState}`;
}

/** Stops every node of the cluster in `dir` (by their PID files), all at once; false when none ran. */
export async function stopRedisCluster(dir: string): Promise<boolean> {
  const ports = redisClusterPorts(dir);
  const stopped = await Promise.all(ports.map((port) => stopRedisServer(redisNodeDir(dir, port))));
  return stopped.some(Boolean);
}
