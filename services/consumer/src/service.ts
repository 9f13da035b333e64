import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from '@graphql-yoga/subscription';
import type { BatchConsumer, BatchConsumerOptions } from '@kafka-ecs/kafka';
import { createBatchConsumer } from '@kafka-ecs/kafka';
import type { ShutdownStep } from '@kafka-ecs/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { buildConsumerApp } from './app.ts';
import { createGraphqlSchema } from './entry-points/graphql/schema.ts';
import { eventHandlers } from './entry-points/kafka/handlers/index.ts';
import {
  createLoggingFailureHandler,
  type RecordFailureHandler,
} from './entry-points/kafka/record-failure.ts';
import { createViewBatchProcessor } from './entry-points/kafka/view-batch-processor.ts';
import { type ConsumerMetrics, createConsumerMetrics } from './infra/metrics.ts';
import { createProducerClient } from './infra/producer-client.ts';
import { createRedisViewStore, type ViewStore } from './infra/redis-view-store.ts';
import { viewKeys } from './infra/view-keys.ts';
import { createViewRegistry, type ViewRegistry } from './infra/view-registry.ts';

export interface ConsumerServiceOptions {
  logger: Logger;
  /** From createKafkaClient. */
  kafka: BatchConsumerOptions['client'];
  /** Commands: view writes, reads, notifications published by the apply script. */
  redis: Redis;
  /** A connection of its own for pub/sub (a subscribed connection can run nothing else). */
  subscriber: Redis;
  groupId: string;
  topics: string[];
  viewPrefix: string;
  producerEndpoint: string;
  pingTimeoutMs: number;
  port: number;
  host?: string;
  /** The failure seam; the default counts, logs and moves on. */
  createFailureHandler?: (deps: {
    logger: Logger;
    metrics: ConsumerMetrics;
  }) => RecordFailureHandler;
  /** Consumer tuning (tests shorten the session). */
  consumerOptions?: Pick<
    BatchConsumerOptions,
    | 'partitionsConsumedConcurrently'
    | 'sessionTimeoutMs'
    | 'heartbeatIntervalMs'
    | 'maxBackoffMs'
    | 'onFatal'
  >;
}

export interface ConsumerService {
  url: string;
  app: FastifyInstance;
  consumer: BatchConsumer;
  metrics: ConsumerMetrics;
  store: ViewStore;
  registry: ViewRegistry;
  /** In reverse start order: stop HTTP (subscriptions, Apollo), then the consumer. */
  shutdownSteps: ShutdownStep[];
  stop(): Promise<void>;
}

/**
 * Wires the read side from clients the caller created (main.ts, or a test), starts consuming
 * and listens. Start order: view registry (Redis) → consumer group → HTTP.
 */
export async function startConsumerService(
  options: ConsumerServiceOptions,
): Promise<ConsumerService> {
  const { logger, redis } = options;
  const keys = viewKeys(options.viewPrefix);
  const registry = createViewRegistry({ redis, prefix: options.viewPrefix });
  const store = createRedisViewStore({ redis, prefix: options.viewPrefix });
  let consumer: BatchConsumer | undefined;
  const metrics = createConsumerMetrics({ readLag: () => consumer?.lag() ?? Promise.resolve([]) });
  const onRecordFailure = (options.createFailureHandler ?? createLoggingFailureHandler)({
    logger,
    metrics,
  });

  await registry.initialize();
  consumer = createBatchConsumer({
    client: options.kafka,
    groupId: options.groupId,
    topics: options.topics,
    logger,
    // A new group reads the topics from the start: Kafka is the source of truth for the view.
    fromBeginning: true,
    ...options.consumerOptions,
    handleBatch: createViewBatchProcessor({
      handlers: eventHandlers,
      store,
      metrics,
      onRecordFailure,
      target: async () => {
        const { active, writing } = await registry.targets();
        return { views: writing, notifyView: active };
      },
    }),
    onBatchFailed: (batch) => metrics.batchFailures.inc({ topic: batch.topic }),
  });
  await consumer.start();

  const pubSub = createPubSub<Record<string, [Record<string, string>]>>({
    eventTarget: createRedisEventTarget({
      publishClient: redis,
      subscribeClient: options.subscriber,
    }),
  });
  const producer = createProducerClient({
    baseUrl: options.producerEndpoint,
    timeoutMs: options.pingTimeoutMs,
  });
  const running = consumer;
  const app = await buildConsumerApp({
    logger,
    registry: metrics.registry,
    producer,
    checks: [
      { name: 'kafka', check: () => running.isJoined() },
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
    ],
    schema: createGraphqlSchema({
      store,
      activeView: () => registry.active(),
      notifications: () => pubSub.subscribe(keys.notifications),
    }),
  });
  const url = await app.listen({ host: options.host ?? '0.0.0.0', port: options.port });

  const shutdownSteps: ShutdownStep[] = [
    { name: 'http', run: () => app.close() },
    { name: 'kafka consumer', run: () => running.stop() },
    { name: 'producer client', run: () => producer.close() },
  ];
  return {
    url,
    app,
    consumer: running,
    metrics,
    store,
    registry,
    shutdownSteps,
    async stop() {
      for (const step of shutdownSteps) await step.run();
    },
  };
}
