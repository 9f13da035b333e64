// Composition root: the only module that reads the environment, creates clients and listens.
import { exitOnStartFailure, loadProducerConfig, readConnectionSecurity } from '@kafka-ecs/config';
import { EVENT_TOPICS, TOPIC_CONFIG } from '@kafka-ecs/events';
import { createKafkaConnection } from '@kafka-ecs/kafka';
import {
  createLogger,
  createMetricsServer,
  logRedisConnection,
  logUncaughtErrors,
  onShutdownSignal,
  routeConsoleToLogger,
} from '@kafka-ecs/service-kit';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { composeProducer } from './compose.ts';
import { createProducerMetrics, observeBatches } from './infra/metrics.ts';
import { createRedisClient } from './infra/redis-client.ts';

async function main(): Promise<void> {
  const config = loadProducerConfig(process.env);
  const logger = createLogger({ service: 'producer', level: config.LOG_LEVEL });
  // What a library prints with console, and what ends the process, become JSON lines of this
  // log, not only raw stderr text.
  routeConsoleToLogger(logger);
  logUncaughtErrors(logger);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createProducerMetrics(registry);

  // The CA bundles are read once, here; every client below gets the same settings.
  const security = readConnectionSecurity(config);
  const redisSettings = {
    url: config.REDIS_URL,
    cluster: config.REDIS_CLUSTER,
    ca: security.redisCa,
  };
  const redis = createRedisClient(redisSettings);
  logRedisConnection(redis, logger, 'redis');
  // Users' creations have a connection of their own: their WAIT for replicas
  // (REDIS_WAIT_REPLICAS) holds it until answered, and logins must not queue behind it.
  const creations = createRedisClient(redisSettings);
  logRedisConnection(creations, logger, 'redis-creations');

  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: 'producer-svc',
    logger,
    security: security.kafka,
    library: config.KAFKA_CLIENT,
  });
  const publisher = kafka.publisher({
    sendTimeoutMs: config.PUBLISH_TIMEOUT_MS,
    lingerMs: config.PUBLISH_LINGER_MS,
    maxBatchSize: config.PUBLISH_MAX_BATCH,
    onBatch: observeBatches(metrics),
  });
  // Neither blocks the start: /ready reports Kafka until it answers, publishes connect on demand.
  void kafka
    .ensureTopics(
      EVENT_TOPICS.map((topic) => ({
        topic,
        partitions: config.KAFKA_TOPIC_PARTITIONS,
        config: TOPIC_CONFIG[topic],
      })),
    )
    .catch((error: unknown) => logger.warn({ err: error }, 'could not ensure topics yet'));
  void publisher.start();

  const app = await composeProducer({
    logger,
    redis,
    creations,
    publisher,
    registry,
    metrics,
    settings: {
      production: config.NODE_ENV === 'production',
      ide: config.GRAPHQL_IDE,
      introspection: config.GRAPHQL_INTROSPECTION,
      maxDepth: config.GRAPHQL_MAX_DEPTH,
      maxTokens: config.GRAPHQL_MAX_TOKENS,
      bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
      redisKeyPrefix: config.REDIS_KEY_PREFIX,
      redisWaitReplicas: config.REDIS_WAIT_REPLICAS,
      reservationTtlMs: config.USERNAME_RESERVATION_TTL_MS,
      tokenSecret: config.TOKEN_SECRET,
      tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
      passwordHash: config.PASSWORD_HASH,
      argon2MemoryKib: config.ARGON2_MEMORY_KIB,
      argon2Passes: config.ARGON2_PASSES,
      scryptCost: config.SCRYPT_COST,
      hashing: {
        concurrency: config.UV_THREADPOOL_SIZE,
        maxWaitMs: config.PASSWORD_HASH_MAX_WAIT_MS,
      },
      loginMaxFailures: config.LOGIN_MAX_FAILURES,
      loginFailureWindowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
    },
  });

  // GET /metrics on METRICS_PORT only (not behind the load balancer, which forwards PORT).
  const metricsServer = createMetricsServer({ registry, logger });

  // Reverse order of start: stop accepting and finish in-flight requests (closing the app also
  // drains Apollo), send what the publisher still holds, then disconnect.
  onShutdownSignal({
    logger,
    deadlineMs: 10_000,
    steps: [
      // Both HTTP servers in one step: a scrape in flight finishes like a request does.
      { name: 'http', run: () => Promise.all([app.close(), metricsServer.close()]) },
      { name: 'kafka', run: () => publisher.stop() },
      {
        name: 'redis',
        run: () =>
          Promise.all(
            [redis, creations].map((client) => client.quit().catch(() => client.disconnect())),
          ),
      },
    ],
  });

  const url = await app.listen({ host: '0.0.0.0', port: config.PORT });
  const metricsUrl = await metricsServer.listen({ host: '0.0.0.0', port: config.METRICS_PORT });
  logger.info({ url, metricsUrl }, 'listening');
}

main().catch(exitOnStartFailure('producer'));
