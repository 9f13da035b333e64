import { rmSync } from 'node:fs';
import {
  ensureTopics,
  isAlive,
  type KafkaCluster,
  type RedisClusterNodeStatus,
  redisClusterDown,
  redisClusterStatus,
  redisClusterUp,
  redisDataDir,
  StackError,
  type StackSettings,
  stackClasspath,
  stackSettings,
  startKafkaCluster,
  startRedisServer,
  stopRedisServer,
  withProbeClient,
} from '@kafka-ecs/devstack';
import { DEFAULT_PARTITIONS } from '@kafka-ecs/events';
import { freePort, waitFor } from '@kafka-ecs/testing';
import { componentDir } from './run-dir.ts';

/** A Kafka of the scenario's own (one node, or a three-node cluster), with the contract's topics. */
export interface PrivateKafka {
  /** Bootstrap list, as `KAFKA_BROKERS` wants it. */
  brokersEnv: string;
  brokers: string[];
  /** Partitions of each topic. */
  partitions: number;
  cluster: KafkaCluster;
  /** Stops every node and deletes the data. */
  close(): Promise<void>;
}

/**
 * Starts a Kafka that only this scenario uses, in the run's folder on free ports: the services
 * publish to the contract's fixed topic names, so a scenario that counts events (or kills the
 * broker) needs a broker of its own rather than the shared dev stack.
 */
export async function startPrivateKafka(
  options: { nodes?: number; partitions?: number } = {},
): Promise<PrivateKafka> {
  const dir = componentDir('kafka');
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  const cluster = await startKafkaCluster({
    dir,
    classpath: await stackClasspath(),
    size: options.nodes ?? 1,
    readyTimeoutMs: 90_000,
  });
  try {
    await ensureTopics(cluster.brokers, partitions, cluster.replicationFactor);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return {
    brokersEnv: cluster.brokers.join(','),
    brokers: cluster.brokers,
    partitions,
    cluster,
    async close() {
      // Its data is deleted next: no controlled shutdown to wait for.
      await cluster.stop({ graceMs: 0 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server of the scenario's own, which it may stop and start again. */
export interface PrivateRedis {
  url: string;
  /** Graceful stop (SIGTERM: Redis writes its append-only file and exits). */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port and data; resolves once it answers PING. `empty`: its data
   * deleted first, as a Redis without persistence (or an empty replica promoted) comes back.
   */
  start(options?: { empty?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = componentDir('redis');
  const port = await freePort();
  const start = async (options: { empty?: boolean } = {}) => {
    if (options.empty) rmSync(redisDataDir(dir), { recursive: true, force: true });
    await startRedisServer({ dir, host: '127.0.0.1', port, readyTimeoutMs: 15_000 });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stopRedisServer(dir);
    },
    start,
    async close() {
      await stopRedisServer(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of the scenario's own (3 masters, 1 replica each), whose masters it may kill. */
export interface PrivateRedisCluster {
  /** One node's URL: a cluster client finds the others. */
  url: string;
  /**
   * SIGKILLs the master at `address`, or the first master (no shutdown, no last write to disk:
   * a host lost), and resolves with its address once it has exited.
   */
  killMaster(address?: string): Promise<string>;
  /** The running nodes with a pub/sub connection open (a cluster client keeps one on a node). */
  pubsubNodes(): Promise<{ address: string; role: string }[]>;
  /** Closes every pub/sub connection on the node at `address`; resolves with how many. */
  dropPubsubClients(address: string): Promise<number>;
  /**
   * Waits until the nodes still running serve every slot again with three masters: a replica of
   * the killed master was promoted. Resolves with how long that took from `since`.
   */
  waitForFailover(since: number, timeoutMs?: number): Promise<number>;
  /** Starts the killed node again (it rejoins as a replica); resolves once the cluster is whole. */
  restartKilled(): Promise<void>;
  close(): Promise<void>;
}

/** A cluster's first port: 6 client ports from there and their bus ports (+10000) must be free. */
const clusterPortBase = () => 12_000 + Math.floor(Math.random() * 7_000);

/**
 * Starts a Redis Cluster only this scenario uses, in the run's folder, with the stack's own code
 * (`pnpm stack:up --redis-cluster`): six redis-servers, a short node timeout (fast failover).
 */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const dir = componentDir('redis-cluster');
  let settings: StackSettings | undefined;
  let url = '';
  // A random range of ports may hold a stranger: the stack refuses it, and another is tried.
  for (let attempt = 1; !settings; attempt++) {
    const candidate = { ...stackSettings(), dir, redisClusterPort: clusterPortBase() };
    try {
      url = (await redisClusterUp({ settings: candidate, log: () => {} })).redisUrl;
      settings = candidate;
    } catch (error) {
      if (attempt >= 5 || !(error instanceof StackError && /is taken/.test(error.message))) {
        throw error;
      }
    }
  }
  const running = settings;
  const nodes = () => redisClusterStatus({ settings: running });
  let killed: RedisClusterNodeStatus | undefined;
  return {
    url,
    async killMaster(address) {
      const master = (await nodes()).find(
        (node) =>
          node.view?.role === 'master' && (address === undefined || node.address === address),
      );
      if (!master?.pid) {
        throw new Error(`no running master ${address ?? ''} to kill in the Redis Cluster`);
      }
      const { pid } = master;
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), {
        timeoutMs: 10_000,
        description: `Redis Cluster master ${master.address} exiting on SIGKILL`,
      });
      killed = master;
      return master.address;
    },
    async pubsubNodes() {
      const running = (await nodes()).filter((node) => node.view !== undefined);
      const holding = await Promise.all(
        running.map((node) =>
          withProbeClient(`redis://${node.address}`, { timeoutMs: 2_000 }, async (client) => {
            const list = String(await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
            return list.trim() === ''
              ? []
              : [{ address: node.address, role: node.view?.role ?? '' }];
          }),
        ),
      );
      return holding.flat();
    },
    async dropPubsubClients(address) {
      return withProbeClient(`redis://${address}`, { timeoutMs: 2_000 }, async (client) =>
        Number(await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub')),
      );
    },
    async waitForFailover(since, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const alive = (await nodes()).filter((node) => node.view !== undefined);
          return (
            alive.length > 0 &&
            alive.every((node) => node.view?.clusterState === 'ok') &&
            alive.filter((node) => node.view?.role === 'master').length === 3
          );
        },
        { timeoutMs, intervalMs: 50, description: 'a replica promoted: three masters, cluster ok' },
      );
      return Date.now() - since;
    },
    async restartKilled() {
      if (!killed) throw new Error('no master was killed');
      // `up` starts the stopped node from its nodes.conf and waits until the cluster is whole.
      await redisClusterUp({ settings: running, log: () => {} });
      killed = undefined;
    },
    async close() {
      await redisClusterDown({ settings: running });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
