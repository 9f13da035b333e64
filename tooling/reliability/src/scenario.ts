import { metricValue, scrapeMetrics } from '@kafka-ecs/testing';
import { readTopics, readView, waitForCatchUp } from './audit.ts';
import { computeFigures, createProgress, type Figures, reportFigures } from './figures.ts';
import {
  type PrivateKafka,
  type PrivateRedis,
  type PrivateRedisCluster,
  startPrivateKafka,
  startPrivateRedis,
  startPrivateRedisCluster,
} from './infrastructure.ts';
import { type Load, type LoadOptions, startLoad } from './load.ts';
import type { Scope } from './scope.ts';
import {
  consumerEnv,
  producerEnv,
  type ServiceHandle,
  startService,
  waitForAssignment,
} from './services.ts';

/** A scenario's own system: Kafka, Redis, a producer and consumer instances of one group. */
export interface ScenarioSystem {
  kafka: PrivateKafka;
  /** The producer's Redis. */
  redis: PrivateRedis;
  /** The consumers' Redis: the same one unless `separateRedis` was asked for. */
  consumerRedis: PrivateRedis;
  /** With `redisCluster`: the consumers' Redis Cluster (they use it instead of `consumerRedis`). */
  redisCluster: PrivateRedisCluster | undefined;
  producer: ServiceHandle;
  /** The first consumer instance. */
  consumer: ServiceHandle;
  consumers: ServiceHandle[];
  groupId: string;
  /** Starts one more consumer instance of the group (stopped with the scope). */
  addConsumer(envOverrides?: Record<string, string>): Promise<ServiceHandle>;
  /**
   * Waits until `consumers` (by default the instances running now) share every partition of the
   * event topics between them.
   */
  waitForAssignment(consumers?: ServiceHandle[]): Promise<void>;
  /** Starts the steady load against the producer (stopped with the scope). */
  startLoad(options?: Omit<LoadOptions, 'producerUrl'>): Load;
}

export interface ScenarioOptions {
  /** Kafka nodes: 1, or 3 for a cluster (replication 3, min.insync.replicas 2). @defaultValue 1 */
  brokers?: number;
  /** Consumer instances. @defaultValue 1 */
  consumers?: number;
  producerEnv?: Record<string, string>;
  consumerEnv?: Record<string, string>;
  /** Give the consumers a Redis of their own, so one side's Redis can fail alone. */
  separateRedis?: boolean;
  /** Give the consumers a Redis Cluster of their own (REDIS_CLUSTER=true), to fail a master of. */
  redisCluster?: boolean;
}

/**
 * Starts everything a scenario needs, each piece registered in `scope` so it is stopped however
 * the scenario ends: Kafka and Redis of its own, the producer, then the consumers (pointed at
 * the producer, so /ping works).
 */
export async function startSystem(
  scope: Scope,
  options: ScenarioOptions = {},
): Promise<ScenarioSystem> {
  const step = createProgress('system');
  const [kafka, redis, consumerRedis, redisCluster] = await Promise.all([
    startPrivateKafka({ nodes: options.brokers ?? 1 }),
    startPrivateRedis(),
    options.separateRedis ? startPrivateRedis() : undefined,
    options.redisCluster ? startPrivateRedisCluster() : undefined,
  ]);
  scope.add(kafka, (k) => k.close());
  scope.add(redis, (r) => r.close());
  if (consumerRedis) scope.add(consumerRedis, (r) => r.close());
  if (redisCluster) scope.add(redisCluster, (c) => c.close());
  step(`kafka (${kafka.brokers.length} node(s)) and redis up`);
  const stack = { kafkaBrokers: kafka.brokersEnv, redisUrl: redis.url };
  const producer = await startService({
    name: 'producer',
    service: 'producer',
    env: { ...producerEnv(stack), ...options.producerEnv },
  });
  scope.add(producer, (p) => p.stop());
  const env: Record<string, string> = {
    ...consumerEnv({
      kafkaBrokers: kafka.brokersEnv,
      redisUrl: (redisCluster ?? consumerRedis ?? redis).url,
      producerUrl: producer.url,
    }),
    // As production with replicas sets it: a batch counts once its writes are on a replica.
    ...(redisCluster ? { REDIS_CLUSTER: 'true', REDIS_WAIT_REPLICAS: '1' } : {}),
    ...options.consumerEnv,
  };
  const consumers: ServiceHandle[] = [];
  const addConsumer = async (envOverrides: Record<string, string> = {}) => {
    const consumer = await startService({
      name: `consumer-${consumers.length + 1}`,
      service: 'consumer',
      env: { ...env, ...envOverrides },
    });
    consumers.push(consumer);
    scope.add(consumer, (c) => c.stop());
    return consumer;
  };
  step('producer up');
  await Promise.all(Array.from({ length: options.consumers ?? 1 }, () => addConsumer()));
  step('consumers up');
  const [consumer] = consumers;
  if (!consumer) throw new Error('a scenario needs at least one consumer instance');
  return {
    kafka,
    redis,
    consumerRedis: consumerRedis ?? redis,
    redisCluster,
    producer,
    consumer,
    consumers,
    groupId: env.CONSUMER_GROUP_ID ?? '',
    addConsumer,
    waitForAssignment: (members = consumers.filter((instance) => instance.alive())) =>
      waitForAssignment(members, kafka.partitions),
    startLoad: (loadOptions = {}) =>
      scope.add(startLoad({ ...loadOptions, producerUrl: () => producer.url }), (load) =>
        load.stop(),
      ),
  };
}

/**
 * Ends a scenario the same way every time: stop the load, wait (bounded) until the group has
 * committed everything on the topics, read the topics and the view, print the figures line.
 */
export async function finishScenario(
  name: string,
  system: ScenarioSystem,
  load: Load,
  extra: Record<string, string | number> = {},
): Promise<Figures> {
  const step = createProgress(name);
  const ledger = await load.stop();
  step('load stopped');
  const caughtUp = await waitForCatchUp(system.kafka.brokers, system.groupId, 60_000);
  step('consumer group caught up');
  const topics = await readTopics(system.kafka.brokers);
  step('topics read');
  const reader = system.consumers.find((consumer) => consumer.alive());
  if (!reader) throw new Error('no consumer instance left running to read the view from');
  const view = await readView(reader.url, topics.userEvents.keys());
  step('view read');
  const figures = computeFigures(name, ledger, topics, view, {
    ...extra,
    ...(caughtUp ? {} : { caughtUp: 'no' }),
    ...(topics.undecodable > 0 ? { undecodable: topics.undecodable } : {}),
  });
  reportFigures(figures);
  return figures;
}

/** How the ledger's failures split by outcome, e.g. `SERVICE_UNAVAILABLE:12,ECONNREFUSED:3`. */
export function failuresByOutcome(load: Load): string {
  const counts = new Map<string, number>();
  for (const record of load.ledger.records) {
    if (record.outcome !== 'acknowledged') {
      counts.set(record.outcome, (counts.get(record.outcome) ?? 0) + 1);
    }
  }
  return [...counts].map(([outcome, count]) => `${outcome}:${count}`).join(',') || 'none';
}

/**
 * The sum of a Prometheus counter over its labels, scraped from a running instance's metrics
 * server (`metricsUrl`, without `/metrics`). A wrong URL fails rather than read as 0.
 */
export async function scrapeCounter(metricsUrl: string, name: string): Promise<number> {
  return metricValue(await scrapeMetrics(metricsUrl), name);
}
