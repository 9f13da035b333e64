import { rmSync } from 'node:fs';
import {
  ensureTopics,
  type KafkaCluster,
  stackClasspath,
  startKafkaCluster,
  startRedisServer,
  stopRedisServer,
} from '@kafka-ecs/devstack';
import { DEFAULT_PARTITIONS } from '@kafka-ecs/events';
import { freePort } from '@kafka-ecs/testing';
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
  /** Starts it again on the same port and data; resolves once it answers PING. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = componentDir('redis');
  const port = await freePort();
  const start = async () => {
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
